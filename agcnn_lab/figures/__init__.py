"""Figures: each module draws one kind of figure and returns a matplotlib Figure."""
