"""PhantomCXR-14 v3's premise, probed without a network: does a fine fibrotic net need the zoom?

    .venv/bin/python benchmarks/fine_texture_probe.py               # v3's strength, then fainter
    .venv/bin/python benchmarks/fine_texture_probe.py --strength 0.25 0.12

For each strength: the first films of v3 patients with Fibrosis (a fine net of lines) against films
without it that carry the soft-tissue haze (the net's local mean, unlabelled), each film reduced
1x, 2x, 2.4x (the crop's view at a box of ~38% of the film) and 4x (the global view), and one
statistic per film: the spread of its high-passed lung fields (texture) and their mean (density).
The AUC of each statistic says how well that view tells the two apart; docs/phantom.md reads it.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import cv2
import numpy as np
from sklearn.metrics import roc_auc_score

from agcnn_lab.data.phantom import PRESETS, LabelDistribution, Patient

SCALES = (1.0, 2.0, 2.4, 4.0)


def lung_statistics(pixels: np.ndarray, reduction: float) -> tuple[float, float]:
    """(texture, density) of the two lung fields of a film reduced `reduction` times (area)."""
    n = int(round(pixels.shape[0] / reduction))
    small = cv2.resize(pixels.astype(np.float32), (n, n), interpolation=cv2.INTER_AREA)
    high = small - cv2.GaussianBlur(small, (0, 0), 1.5)
    rows = slice(int(0.2 * n), int(0.75 * n))
    fields = [high[rows, int(0.12 * n):int(0.42 * n)], high[rows, int(0.58 * n):int(0.88 * n)]]
    return float(np.std(np.concatenate([f.ravel() for f in fields]))), float(small[rows, int(0.12 * n):int(0.42 * n)].mean())


def probe(strength: float, films: int = 40, size: int = 512) -> dict[float, tuple[float, float]]:
    """{reduction: (texture AUC, density AUC)} for Fibrosis at strength (s, 1.8 s)."""
    difficulty = replace(PRESETS["v3"], fibrosis_strength=(strength, 1.8 * strength), soft_tissue_haze_probability=0.5)
    labels = LabelDistribution.build(prevalence={"Fibrosis": 0.3})
    positive, negative = [], []
    for pid in range(1, 2000):
        film = Patient(pid, 0, size, labels, difficulty).film(0)
        if "Fibrosis" in film.labels:
            positive.append(film.pixels)
        elif any(item.kind == "soft_tissue_haze" for item in film.lookalikes):
            negative.append(film.pixels)
        if len(positive) >= films and len(negative) >= films:
            break
    y = [1] * len(positive) + [0] * len(negative)
    out = {}
    for reduction in SCALES:
        stats = np.array([lung_statistics(p, reduction) for p in positive + negative])
        out[reduction] = (roc_auc_score(y, stats[:, 0]), roc_auc_score(y, -stats[:, 1]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strength", type=float, nargs="+", default=[0.25, 0.12])
    parser.add_argument("--films", type=int, default=40)
    args = parser.parse_args()
    print("| strength | " + " | ".join(f"{s:g}x texture / density" for s in SCALES) + " |")
    print("| --- |" + " --- |" * len(SCALES))
    for strength in args.strength:
        result = probe(strength, args.films)
        print(f"| {strength:g} | " + " | ".join(f"{t:.2f} / {d:.2f}" for t, d in result.values()) + " |")


if __name__ == "__main__":
    main()
