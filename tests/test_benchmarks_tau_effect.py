"""benchmarks/tau_effect.py: the paper's tau sweep, each tau's crop against its base run's control."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from repo_scripts import load_script

from agcnn_lab.config import Profile
from agcnn_lab.data.classes import CLASSES
from agcnn_lab.evaluate import branch_mean_auc

tau_effect = load_script("benchmarks/tau_effect.py")


@pytest.fixture(scope="module")
def twin(ci_run, ci_data):
    """The ci run's twin at a tau it did not choose (stages II and III trained, no control)."""
    base = ci_run.out
    tau = 0.9 if tau_effect.chosen_tau(base) < 0.85 else 0.5
    return base, tau, tau_effect.ensure_twin(base, tau, data=ci_data)


def test_a_twin_trains_the_crop_at_its_tau_and_borrows_its_base_runs_control(twin, ci_data):
    base, tau, out = twin
    assert out == base.with_name(f"{base.name}-tau{tau:g}")
    config = json.loads((out / "config.json").read_text())
    assert (config["model"]["attention"]["tau"], config["model"]["attention"]["choose_tau"]) == (tau, False)
    assert json.loads((out / "run.json").read_text())["tau"] == tau
    assert not (out / "whole_film").exists()  # the control is the base's: it does not depend on tau
    # tau is fixed, yet the sweep is written (the same stage I: the same sweep) and reported
    pd.testing.assert_frame_equal(pd.read_csv(out / "tau_sweep.csv"), pd.read_csv(base / "tau_sweep.csv"))
    report = (out / "report.md").read_text()
    assert f"tau = {tau:g} (fixed by the configuration)" in report
    assert f"The configuration fixes tau at **{tau:g}**" in report
    assert f"would take {tau_effect.chosen_tau(base):g}." in report
    assert (out / "stage_global" / "best.pt").read_bytes() == (base / "stage_global" / "best.pt").read_bytes()
    assert tau_effect.ensure_twin(base, tau, data=ci_data) == out  # finished: nothing trained again
    assert tau_effect.twin_folder(base, tau_effect.chosen_tau(base)) == base

    table = tau_effect.twin_table(base, out)
    base_table = pd.read_csv(base / "predictions.csv")
    assert sorted(set(table["branch"])) == sorted(set(base_table["branch"]))
    control = table[table["branch"] == "local_whole_film"].reset_index(drop=True)
    assert control.equals(base_table[base_table["branch"] == "local_whole_film"].reset_index(drop=True))

    sweep = tau_effect.sweep_table([base], [tau, tau_effect.chosen_tau(base), 0.3], train=False, n_boot=50)
    assert sorted(sweep["tau"]) == sorted([tau, tau_effect.chosen_tau(base)])  # 0.3 has no twin: left out
    row = sweep.set_index("tau").loc[tau]
    metrics = json.loads((out / "metrics.json").read_text())
    assert row["val local"] == pytest.approx(
        branch_mean_auc(table, "val", "local"))
    assert row["test fusion effect"] == pytest.approx(
        metrics["fusion"]["mean_auc"] - json.loads((base / "metrics.json").read_text())["fusion_whole_film"]["mean_auc"])
    assert row["test local lo"] <= row["test local effect"] <= row["test local hi"]
    sweep_csv = pd.read_csv(base / "tau_sweep.csv")
    assert row["box (val)"] == pytest.approx(sweep_csv.loc[np.isclose(sweep_csv["tau"], tau), "area"].item())
    assert list(tau_effect.printable(sweep).index) == sorted(sweep["tau"])
    figure = tau_effect.plot_tau_effect(sweep)
    assert [ax.get_title() for ax in figure.axes[:3]] == [
        "validation AUC against tau", "local: crop vs whole film", "fusion: crop vs whole film"]


def test_a_twin_of_another_setting_or_another_start_is_refused(twin, tmp_path):
    base, tau, out = twin
    other = tmp_path / "other-config"
    shutil.copytree(out, other)
    Profile.read(out / "config.json").with_changes(**{"model.attention.reduce": "cam"}).write(other / "config.json")
    with pytest.raises(SystemExit, match=r"differs from its control .* beyond model.attention.tau, model.attention.choose_tau, model.attention.box_area \(model.attention.reduce"):
        tau_effect.twin_table(base, other)

    restarted = tmp_path / "other-start"
    shutil.copytree(out, restarted)
    predictions = pd.read_csv(restarted / "predictions.csv")
    predictions.loc[predictions["branch"] == "global", list(CLASSES)] *= 0.5
    predictions.to_csv(restarted / "predictions.csv", index=False)
    with pytest.raises(SystemExit, match="global branch's predictions are not"):
        tau_effect.twin_table(base, restarted)


def test_bases_are_checked_before_any_training(twin, tmp_path, ci_profile):
    base, _, _ = twin
    with pytest.raises(SystemExit, match="no config.json"):
        tau_effect.sweep_table([tmp_path / "absent"], [0.8])
    seed1 = tmp_path / "seed1"
    shutil.copytree(base, seed1)
    Profile.read(base / "config.json").with_changes(**{"model.attention.reduce": "cam"}).write(seed1 / "config.json")
    with pytest.raises(SystemExit, match=r"differs from .* beyond its seed \(model.attention.reduce"):
        tau_effect.sweep_table([base, seed1], [0.4])
    Profile.read(base / "config.json").write(seed1 / "config.json")
    with pytest.raises(SystemExit, match="the bases: two share a training seed"):
        tau_effect.sweep_table([base, seed1], [0.4])
    uncontrolled = tmp_path / "uncontrolled"
    shutil.copytree(base, uncontrolled)
    Profile.read(base / "config.json").with_changes(**{"training.control": False}).write(uncontrolled / "config.json")
    with pytest.raises(SystemExit, match="without the whole-film control"):
        tau_effect.sweep_table([uncontrolled], [0.4])
    assert not any(p.name.endswith("-tau0.4") for p in tmp_path.iterdir())
    assert not base.with_name(f"{base.name}-tau0.4").exists()


def test_a_box_area_twin_cuts_a_fixed_area_box_and_reads_its_own_sweep(twin, ci_data):
    base, _, _ = twin
    tau = tau_effect.chosen_tau(base)
    out = tau_effect.ensure_twin(base, tau, data=ci_data, box_area=0.5)
    assert out == base.with_name(f"{base.name}-tau{tau:g}-box0.5")
    assert tau_effect.twin_folder(base, tau, 0.5) == out and tau_effect.twin_folder(base, tau) == base
    attention = json.loads((out / "config.json").read_text())["model"]["attention"]
    assert (attention["tau"], attention["box_area"]) == (tau, 0.5)
    sweep_csv = pd.read_csv(out / "tau_sweep.csv")
    # Each box is half the window whatever the tau: its mean area is 0.5 at every tau (films
    # whose window is the whole input; the sweep's area is a share of the window).
    np.testing.assert_allclose(sweep_csv["area"], 0.5, atol=1e-6)
    assert (out / "stage_global" / "best.pt").read_bytes() == (base / "stage_global" / "best.pt").read_bytes()
    assert "box: 50% of the input, centred on the region (`box_area`" in (out / "report.md").read_text()
    sweep = tau_effect.sweep_table([base], [tau], train=False, n_boot=50, box_area=0.5)
    row = sweep.set_index("tau").loc[tau]
    assert row["box (val)"] == pytest.approx(0.5)
    assert row["hit_single (val)"] == pytest.approx(sweep_csv.loc[np.isclose(sweep_csv["tau"], tau), "hit_single"].item())
    metrics = json.loads((out / "metrics.json").read_text())
    base_metrics = json.loads((base / "metrics.json").read_text())
    assert row["test local effect"] == pytest.approx(metrics["local"]["mean_auc"] - base_metrics["local_whole_film"]["mean_auc"])
    # Head to head with the paper's box at the same tau: the base's own crop.
    assert row["test fusion vs paper"] == pytest.approx(metrics["fusion"]["mean_auc"] - base_metrics["fusion"]["mean_auc"])
    assert row["val local vs paper lo"] <= row["val local vs paper"] <= row["val local vs paper hi"]
    assert "test, fusion: centred - paper's box" in tau_effect.printable(sweep).columns
    plain = tau_effect.sweep_table([base], [tau], train=False, n_boot=50)  # the paper's box: no head to head
    assert plain["val local vs paper"].isna().all()
    assert "val, local: centred - paper's box" not in tau_effect.printable(plain).columns
