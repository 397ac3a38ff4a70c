"""PhantomCXR-14: a synthetic ChestX-ray14 that exists on any machine in about a minute.

Frontal chest "radiographs" with the 14 ChestX-ray14 labels and a ground-truth box for every
localised finding, written in the layout of the NIH release (see docs/phantom.md):

    from agcnn_lab.data.phantom import generate
    root = generate("data/phantom", n_patients=1000)          # ~2,900 images at 512 px
    entries = read_entries(root / "Data_Entry_2017_v2020.csv")

Modules, one concept each: difficulty (the knobs), labels (which findings, derived from the
real label table), anatomy (a patient's chest), sites (where findings go), findings (what
each looks like), lookalikes (unlabelled things that mimic a nodule or a pneumothorax), render (pose, exposure, borders, markers, blur, noise), patient (one
patient's films), generate (the folder, in parallel).
"""

from .difficulty import PRESETS, REFERENCE_SIZE, Difficulty, difficulty_preset
from .generate import generate
from .labels import DIFFUSE, LOCALISED, LabelDistribution
from .lookalikes import Lookalike
from .patient import Film, Patient

__all__ = [
    "DIFFUSE",
    "LOCALISED",
    "REFERENCE_SIZE",
    "Difficulty",
    "Film",
    "LabelDistribution",
    "Lookalike",
    "PRESETS",
    "Patient",
    "difficulty_preset",
    "generate",
]
