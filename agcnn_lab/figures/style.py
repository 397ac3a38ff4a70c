"""The few colours every figure shares, so a branch looks the same everywhere."""

BRANCH_COLOURS = {"global": "#1f77b4", "local": "#ff7f0e", "fusion": "#2ca02c", "joint": "#9467bd"}
TRUTH_COLOUR = "#00e5ff"  # ground-truth boxes
ATTENTION_COLOUR = "#ff1744"  # the attention box
HEATMAP_CMAP = "inferno"  # perceptual: brightness grows with the value (jet draws edges that are not there)
HEATMAP_SCALE = "heatmap, scaled to [0, 1] per image"  # the colour bar of a column of heatmaps
