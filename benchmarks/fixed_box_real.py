"""How strong is the fixed-box rival on the REAL release, beside PhantomCXR-14?

    .venv/bin/python benchmarks/fixed_box_real.py
    .venv/bin/python benchmarks/fixed_box_real.py --phantom data/phantom-cpu-v4 --areas 0.25 0.35

The report's pointing-game check asks the attention box to beat the best FIXED box of the same
area (evaluate.fixed_box): one box placed from training lesions, the same for every film. This
script measures that rival on ChestX-ray14's own 984 boxes (data/nih-sample/BBox_List_2017.csv.gz,
pixels of the 1024-px films) and on a phantom's box list, the same way for both: the patients split
in half at random, the box placed on one half's single-lesion films and scored on the other's (a
patient's films never on both sides: the phantom keeps a patient's lesion sites from film to film).
Printed: one Markdown table per data set, all lesions and nodules with masses; then how far each
class's box centres spread over the film (the standard deviation of the centre's x and y, in film
sides), the release beside the phantom: a tight spread is what lets one fixed box hold many lesions;
how large each class's boxes are (the side, the square root of the box's area, as a fraction of the
film: when_zoom_pays.py's lesion size; the release's boxes were drawn by hand round the finding, the
phantom's are tight round what was drawn); and the release's share of AP films (portable, often
supine: the chest placed less reproducibly).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from agcnn_lab.data.splits import half_of_patients
from agcnn_lab.data.tables import read_boxes, read_entries
from agcnn_lab.evaluate.fixed_box import fixed_box_sweep
from agcnn_lab.evaluate.lesion_size import lesion_side
from agcnn_lab.report import markdown_table

ROOT = Path(__file__).resolve().parents[1]
REAL_BOXES = ROOT / "data" / "nih-sample" / "BBox_List_2017.csv.gz"
REAL_TABLE = ROOT / "data" / "nih-sample" / "Data_Entry_2017_v2020.csv.gz"
REAL_SIZE = 1024  # the release's boxes are in pixels of its 1024-px films
REAL_NAME = "ChestX-ray14 (the release's 984 boxes)"


def normalised_boxes(path: Path, size: int) -> pd.DataFrame:
    """A box list as fixed_box wants it: image, label, x0, y0, x1, y1 in [0, 1]."""
    boxes = read_boxes(path)
    return pd.DataFrame({
        "image": boxes["image"], "label": boxes["label"],
        "x0": boxes["x"] / size, "y0": boxes["y"] / size,
        "x1": (boxes["x"] + boxes["w"]) / size, "y1": (boxes["y"] + boxes["h"]) / size,
    })


def split_by_patient(truth: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two halves with no patient on both sides (ChestX-ray14 names: PATIENT_FOLLOWUP.png)."""
    first = half_of_patients(truth["image"], seed)
    return truth[first], truth[~first]


def rival_table(truth: pd.DataFrame, areas: list[float], seed: int = 0) -> pd.DataFrame:
    """hit_single of the best fixed box per area, for all lesions and for nodules and masses."""
    rows = {}
    for name, part in (("all lesions", truth), ("Nodule and Mass", truth[truth["label"].isin(["Nodule", "Mass"])])):
        place, score = split_by_patient(part, seed)
        sweep = fixed_box_sweep(place, score, areas)
        rows[name] = sweep.set_index("area")["hit_single"]
        rows[f"{name}: films scored"] = sweep.set_index("area")["single"]
    return pd.DataFrame(rows)


def centre_spread(truth: pd.DataFrame) -> pd.DataFrame:
    """Per class: the boxes counted and the standard deviation of their centres' x and y."""
    centres = pd.DataFrame({"label": truth["label"], "x": (truth["x0"] + truth["x1"]) / 2,
                            "y": (truth["y0"] + truth["y1"]) / 2})
    grouped = centres.groupby("label")
    return pd.DataFrame({"boxes": grouped.size(), "sd x": grouped["x"].std(), "sd y": grouped["y"].std()})


def box_sides(truth: pd.DataFrame) -> pd.DataFrame:
    """Per class: the 10th, 50th and 90th percentile of the box's side, sqrt(width x height), in film sides."""
    side = pd.Series(lesion_side(truth[["x0", "y0", "x1", "y1"]].to_numpy()), index=truth.index)
    grouped = side.groupby(truth["label"])
    return pd.DataFrame({f"side p{q}": grouped.quantile(q / 100) for q in (10, 50, 90)})


def release_beside_phantom(release: pd.DataFrame, phantom: pd.DataFrame) -> pd.DataFrame:
    """The two per-class tables side by side, each column suffixed with its source."""
    return release.add_suffix(" (release)").join(phantom.add_suffix(" (phantom)"), how="outer").round(3)


def view_share(table: pd.DataFrame, boxed: set[str]) -> pd.DataFrame:
    """The share of PA and AP films among all films and among the films with a box."""
    return pd.DataFrame({"all films": table["view"].value_counts(normalize=True),
                         "films with a box": table[table["image"].isin(boxed)]["view"].value_counts(normalize=True)})


def phantom_size(folder: Path) -> int:
    manifest = folder / "phantom.json"
    if not manifest.is_file():
        raise SystemExit(f"{manifest}: no phantom manifest here; generate the set first (make demo)")
    return int(json.loads(manifest.read_text())["settings"]["size"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phantom", type=Path, default=ROOT / "data" / "phantom-cpu-v4", help="a generated phantom set")
    parser.add_argument("--areas", type=float, nargs="+", default=[0.2, 0.25, 0.3, 0.35])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sets = {REAL_NAME: (REAL_BOXES, REAL_SIZE)}
    sets[f"PhantomCXR-14 ({args.phantom.name})"] = (args.phantom / "BBox_List_2017.csv", phantom_size(args.phantom))
    truths = {name: normalised_boxes(path, size) for name, (path, size) in sets.items()}
    spreads, sides = {}, {}
    for name, truth in truths.items():
        table = rival_table(truth, args.areas, args.seed)
        print(f"### {name}: the best fixed box's single-lesion pointing game\n")
        print(markdown_table(table.round(2).rename_axis("box area")))
        print()
        spreads[name] = centre_spread(truth)
        sides[name] = box_sides(truth)
    both = release_beside_phantom(*spreads.values())
    counts = ["boxes (release)", "boxes (phantom)"]
    both[counts] = both[counts].fillna(0).astype(int)  # a class without boxes on one side: 0 there
    print("### Where each class's boxes sit: spread of the box centres, in fractions of the film side\n")
    print(markdown_table(both.rename_axis("class")))
    print("\n### How large each class's boxes are: the side of the box, in fractions of the film side\n")
    print(markdown_table(release_beside_phantom(*sides.values()).rename_axis("class")))
    print("\n### The release's views\n")
    boxed = set(truths[REAL_NAME]["image"])  # the release's box list, read above
    print(markdown_table(view_share(read_entries(REAL_TABLE), boxed).round(3).rename_axis("view")))


if __name__ == "__main__":
    main()
