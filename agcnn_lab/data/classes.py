"""The ChestX-ray14 label set, in the order of the ChestX-ray14, CheXNet and AG-CNN papers."""

CLASSES: tuple[str, ...] = (
    "Atelectasis",
    "Cardiomegaly",
    "Effusion",
    "Infiltration",
    "Mass",
    "Nodule",
    "Pneumonia",
    "Pneumothorax",
    "Consolidation",
    "Edema",
    "Emphysema",
    "Fibrosis",
    "Pleural_Thickening",
    "Hernia",
)
NO_FINDING = "No Finding"

# The box list of the release spells one class differently from the label table.
LABEL_ALIASES: dict[str, str] = {"Infiltrate": "Infiltration"}


def class_index(name: str) -> int:
    """Position of `name` in CLASSES; a ValueError lists the valid names."""
    name = LABEL_ALIASES.get(name, name)
    try:
        return CLASSES.index(name)
    except ValueError:
        raise ValueError(f"unknown class {name!r}; expected one of {', '.join(CLASSES)}") from None
