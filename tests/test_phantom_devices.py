"""Devices (v5): ECG leads, lines and pacemakers, unlabelled, on a stream of their own."""

from dataclasses import replace

import numpy as np
import pytest

from agcnn_lab.data.phantom import PRESETS, Difficulty
from agcnn_lab.data.phantom.devices import KINDS
from agcnn_lab.data.phantom.labels import LabelDistribution
from agcnn_lab.data.phantom.patient import Patient

LABELS = LabelDistribution.build()


def films(preset, size: int, patients: range):
    return [Patient(pid, 0, size, LABELS, preset).film(0) for pid in patients]


def test_v5_is_v4_with_devices_and_a_v4_manifest_does_not_name_them():
    v4, v5 = PRESETS["v4"], PRESETS["v5"]
    assert replace(v5, ecg_probability=0.0, line_probability=0.0, pacemaker_probability=0.0) == v4
    assert "ecg_probability" not in v4.to_dict() and v5.to_dict()["ecg_probability"] == 0.2
    assert Difficulty.from_dict(v5.to_dict()) == v5 and Difficulty.from_dict(v4.to_dict()) == v4
    with pytest.raises(ValueError, match="line_probability must lie in"):
        replace(v4, line_probability=1.5)


def test_devices_change_only_their_own_pixels_and_never_the_labels_or_boxes():
    size, pad = 256, 24  # pad: the film's unsharp mask and blur spread a device's edge a little
    plain, with_devices = films(PRESETS["v4"], size, range(1, 41)), films(PRESETS["v5"], size, range(1, 41))
    drew = 0
    for before, after in zip(plain, with_devices, strict=True):
        assert before.labels == after.labels and before.lesions == after.lesions
        assert before.lookalikes == after.lookalikes and before.devices == ()
        if not after.devices:
            assert np.array_equal(before.pixels, after.pixels)  # a stream of their own: same bytes
            continue
        drew += 1
        assert {device.kind for device in after.devices} <= set(KINDS)
        near = np.zeros((size, size), bool)
        for device in after.devices:
            x0, y0, x1, y1 = device.box
            assert 0 <= x0 < x1 <= size and 0 <= y0 < y1 <= size
            near[max(int(y0) - pad, 0):int(y1) + pad, max(int(x0) - pad, 0):int(x1) + pad] = True
        changed = before.pixels != after.pixels
        # A wire that runs off the patient's canvas is continued by the pose's edge replication
        # in the margin the pose uncovers (at most 17.5% of the side in v4): check the inside.
        inside = np.zeros((size, size), bool)
        inside[int(0.2 * size):int(0.8 * size), int(0.2 * size):int(0.8 * size)] = True
        assert changed.any() and not (changed & ~near & inside).any()
        # Metal is white: the film gets brighter where a device lies, never darker overall.
        assert after.pixels[near].astype(int).sum() > before.pixels[near].astype(int).sum()
    assert 5 <= drew <= 25  # about 35% of films: 1 - 0.8 x 0.85 x 0.95


def test_every_kind_appears_and_electrodes_come_with_their_wires():
    drawn = [device for film in films(PRESETS["v5"], 128, range(1, 121)) for device in film.devices]
    kinds = [device.kind for device in drawn]
    assert set(kinds) == set(KINDS)
    assert kinds.count("ecg") > kinds.count("central_line") > kinds.count("pacemaker")
    # An electrode's box holds its lead wire, many times the electrode's 2 cm (about 5 px here).
    for device in drawn:
        if device.kind == "ecg":
            x0, y0, x1, y1 = device.box
            assert max(x1 - x0, y1 - y0) > 10
