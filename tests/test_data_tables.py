import gzip

import pandas as pd
import pytest

from agcnn_lab.data import CLASSES, NO_FINDING, read_boxes, read_entries, read_image_list
from agcnn_lab.data.tables import ENTRY_COLUMNS, TableError

REAL_COUNTS = {
    "Atelectasis": 11559, "Cardiomegaly": 2776, "Effusion": 13317, "Infiltration": 19894,
    "Mass": 5782, "Nodule": 6331, "Pneumonia": 1431, "Pneumothorax": 5302,
    "Consolidation": 4667, "Edema": 2303, "Emphysema": 2516, "Fibrosis": 1686,
    "Pleural_Thickening": 3385, "Hernia": 227,
}  # fmt: skip

HEADER_2020 = (
    "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
    "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]"
)


def test_classes_are_the_papers_fourteen_in_order():
    assert len(CLASSES) == 14
    assert CLASSES[0] == "Atelectasis" and CLASSES[5] == "Nodule" and CLASSES[-1] == "Hernia"
    assert NO_FINDING == "No Finding"


def test_real_table_rows_patients_and_columns(real_entries):
    assert len(real_entries) == 112_120
    assert real_entries["patient_id"].nunique() == 30_805
    assert list(real_entries.columns) == [*ENTRY_COLUMNS, *CLASSES, NO_FINDING]
    assert real_entries["image"].is_unique


def test_real_table_per_class_counts(real_entries):
    assert real_entries[list(CLASSES)].sum().to_dict() == REAL_COUNTS
    assert real_entries[NO_FINDING].sum() == 60_361
    diseased = real_entries[list(CLASSES)].sum(axis=1) > 0
    assert ((real_entries[NO_FINDING] == 1) == ~diseased).all()


def test_first_rows_of_the_real_table(real_entries):
    first = real_entries.iloc[1]
    assert first["image"] == "00000001_001.png"
    assert (first["patient_id"], first["follow_up"], first["age"]) == (1, 1, 58)
    assert (first["sex"], first["view"]) == ("M", "PA")
    assert first["Cardiomegaly"] == 1 and first["Emphysema"] == 1 and first["Effusion"] == 0


def _write(path, text):
    path.write_text(text)
    return path


def test_2017_table_with_trailing_comma_and_plain_csv(tmp_path):
    text = (
        "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
        "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],\n"
        "a.png,Cardiomegaly|Effusion,0,7,058Y,F,AP,2048,2500,0.168,0.168\n"
        "b.png,No Finding,1,7,059Y,F,PA,2048,2500,0.168,0.168\n"
    )
    entries = read_entries(_write(tmp_path / "Data_Entry_2017.csv", text))
    assert entries["age"].tolist() == [58, 59]
    assert entries.loc[0, "Effusion"] == 1 and entries.loc[1, NO_FINDING] == 1


def test_patient_sex_header_and_gzip(tmp_path):
    text = HEADER_2020.replace("Patient Gender", "Patient Sex") + "\na.png,Hernia,0,3,40,M,PA,1,1,1,1\n"
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write(text)
    entries = read_entries(path)
    assert entries.loc[0, "sex"] == "M" and entries.loc[0, "Hernia"] == 1


def test_missing_column_is_named(tmp_path):
    text = HEADER_2020.replace(",View Position", "") + "\na.png,Hernia,0,3,40,M,1,1,1,1\n"
    with pytest.raises(ValueError, match=r"t.csv.*'View Position'"):
        read_entries(_write(tmp_path / "t.csv", text))


def test_unknown_label_is_listed_not_dropped(tmp_path):
    text = HEADER_2020 + "\na.png,Hernia|Covid,0,3,40,M,PA,1,1,1,1\nb.png,Nodule,0,4,40,M,PA,1,1,1,1\n"
    with pytest.raises(ValueError, match=r"'Covid' \(e.g. a.png\)"):
        read_entries(_write(tmp_path / "t.csv", text))


def test_no_finding_with_disease_and_empty_label_are_errors(tmp_path):
    clash = HEADER_2020 + "\na.png,No Finding|Mass,0,3,40,M,PA,1,1,1,1\n"
    with pytest.raises(ValueError, match="together with a disease label in a.png"):
        read_entries(_write(tmp_path / "c.csv", clash))
    empty = HEADER_2020 + "\na.png,,0,3,40,M,PA,1,1,1,1\n"
    with pytest.raises(ValueError, match="without a label"):
        read_entries(_write(tmp_path / "e.csv", empty))


def test_bad_numbers_duplicates_and_missing_file(tmp_path):
    bad_age = HEADER_2020 + "\na.png,Mass,0,3,old,M,PA,1,1,1,1\n"
    with pytest.raises(ValueError, match="'Patient Age' for a.png"):
        read_entries(_write(tmp_path / "a.csv", bad_age))
    twice = HEADER_2020 + "\na.png,Mass,0,3,4,M,PA,1,1,1,1\na.png,Mass,0,3,4,M,PA,1,1,1,1\n"
    with pytest.raises(ValueError, match="listed twice: a.png"):
        read_entries(_write(tmp_path / "d.csv", twice))
    with pytest.raises(ValueError, match="nothing.csv: no such file"):
        read_entries(tmp_path / "nothing.csv")


def test_real_boxes_normalise_infiltrate(nih_sample):
    boxes = read_boxes(nih_sample / "BBox_List_2017.csv.gz")
    assert len(boxes) == 984
    assert list(boxes.columns) == ["image", "label", "x", "y", "w", "h"]
    assert "Infiltrate" not in set(boxes["label"])
    assert (boxes["label"] == "Infiltration").sum() == 123
    assert set(boxes["label"]) <= set(CLASSES)
    assert boxes[["x", "y"]].min().min() >= 0 and (boxes["x"] + boxes["w"]).max() <= 1024


def test_bad_boxes(tmp_path):
    header = "Image Index,Finding Label,Bbox [x,y,w,h],,,\n"
    with pytest.raises(ValueError, match="'Tumour'"):
        read_boxes(_write(tmp_path / "b.csv", header + "a.png,Tumour,1,2,3,4\n"))
    with pytest.raises(ValueError, match="zero or negative size for a.png"):
        read_boxes(_write(tmp_path / "b.csv", header + "a.png,Mass,1,2,0,4\n"))
    with pytest.raises(ValueError, match="non-numeric y for a.png"):
        read_boxes(_write(tmp_path / "b.csv", header + "a.png,Mass,1,x,3,4\n"))


def test_image_lists(nih_sample, tmp_path):
    assert len(read_image_list(nih_sample / "train_val_list.txt.gz")) == 86_524
    assert len(read_image_list(nih_sample / "test_list.txt.gz")) == 25_596
    assert read_image_list(_write(tmp_path / "l.txt", "a.png\n\n b.png \n")) == ["a.png", "b.png"]
    assert read_image_list(["x.png"]) == ["x.png"]
    with pytest.raises(ValueError, match="no such image list"):
        read_image_list(tmp_path / "missing.txt")


def test_entries_frame_is_plain_pandas(real_entries):
    assert isinstance(real_entries, pd.DataFrame)
    assert str(real_entries["Hernia"].dtype) == "uint8"


@pytest.mark.parametrize("text", ["", "   \n\n\t \n", "\ufeff"], ids=["zero-bytes", "whitespace", "bom-only"])
def test_an_empty_or_blank_table_or_box_list_names_the_file(tmp_path, text):
    with pytest.raises(TableError, match=r"Data_Entry_2017_v2020.csv: the file is empty or blank"):
        read_entries(_write(tmp_path / "Data_Entry_2017_v2020.csv", text))
    with pytest.raises(TableError, match=r"BBox_List_2017.csv: the file is empty or blank"):
        read_boxes(_write(tmp_path / "BBox_List_2017.csv", text))


def test_a_label_table_with_a_header_and_no_rows_is_refused(tmp_path):
    for header in (HEADER_2020 + "\n", HEADER_2020 + ",\n\n"):  # v2020, and 2017's trailing comma
        with pytest.raises(TableError, match=r"t.csv: the label table has a header but no rows"):
            read_entries(_write(tmp_path / "t.csv", header))


def test_a_box_list_with_a_header_and_no_rows_is_a_set_without_boxes(tmp_path):
    boxes = read_boxes(_write(tmp_path / "b.csv", "Image Index,Finding Label,Bbox [x,y,w,h],,,\n"))
    assert boxes.empty and list(boxes.columns) == ["image", "label", "x", "y", "w", "h"]


def test_names_equal_once_trimmed_are_one_image_listed_twice(tmp_path):
    text = HEADER_2020 + "\na.png,Mass,0,3,4,M,PA,1,1,1,1\n a.png ,Mass,1,3,4,M,PA,1,1,1,1\n"
    with pytest.raises(TableError, match=r"d.csv: image\(s\) listed twice: a.png$"):
        read_entries(_write(tmp_path / "d.csv", text))
    blank = HEADER_2020 + "\na.png,Mass,0,3,4,M,PA,1,1,1,1\n   ,Mass,1,3,4,M,PA,1,1,1,1\n"
    with pytest.raises(TableError, match=r"b.csv: 1 row\(s\) have no image name"):
        read_entries(_write(tmp_path / "b.csv", blank))


@pytest.mark.parametrize("value", ["12.5", "abc", "", "  ", "-3", "1e3", "nan"])
def test_a_patient_id_that_is_not_a_whole_number_names_file_image_and_value(tmp_path, value):
    text = HEADER_2020 + f"\na.png,Mass,0,3,4,M,PA,1,1,1,1\nb.png,Mass,0,{value},4,M,PA,1,1,1,1\n"
    pattern = rf"p.csv: non-integer 'Patient ID' for b.png \({value.strip()!r}\)$"
    with pytest.raises(TableError, match=pattern):
        read_entries(_write(tmp_path / "p.csv", text))


def test_whole_numbers_as_spreadsheets_write_them_are_read(tmp_path):
    text = HEADER_2020 + "\na.png,Mass,0, 12 ,058Y,M,PA,1,1,1,1\nb.png,Mass,1.0,12.0,59,M,PA,1,1,1,1\n"
    entries = read_entries(_write(tmp_path / "w.csv", text))
    assert entries["patient_id"].tolist() == [12, 12]
    assert entries["follow_up"].tolist() == [0, 1] and entries["age"].tolist() == [58, 59]
    assert str(entries["patient_id"].dtype) == "int64"


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    text = "\ufeffa.png\nb.png\n"
    assert read_image_list(_write(tmp_path / "l.txt", text)) == ["a.png", "b.png"]
    with gzip.open(tmp_path / "l.txt.gz", "wt", encoding="utf-8") as f:
        f.write(text)
    assert read_image_list(tmp_path / "l.txt.gz") == ["a.png", "b.png"]
    table = "\ufeff" + HEADER_2020 + "\na.png,Mass,0,3,4,M,PA,1,1,1,1\n"
    assert read_entries(_write(tmp_path / "t.csv", table))["image"].tolist() == ["a.png"]
    with gzip.open(tmp_path / "t.csv.gz", "wt", encoding="utf-8") as f:
        f.write(table)
    assert read_entries(tmp_path / "t.csv.gz")["image"].tolist() == ["a.png"]
    boxes = "\ufeffImage Index,Finding Label,Bbox [x,y,w,h],,,\na.png,Mass,1,2,3,4\n"
    assert read_boxes(_write(tmp_path / "b.csv", boxes))["image"].tolist() == ["a.png"]


def test_table_error_is_a_value_error():
    assert issubclass(TableError, ValueError)
