"""agcnn_lab: learn and reproduce AG-CNN (Guan et al., 2018) on ChestX-ray14.

    from agcnn_lab.data import CLASSES, read_entries
    entries = read_entries("data/nih-sample/Data_Entry_2017_v2020.csv.gz")
"""

__version__ = "0.1.0"
