"""``phasemem tkg`` click group: train, eval and compare on a tiny synthetic dataset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from phasemem.research.tkg.cli import tkg


def test_group_imports_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from phasemem.research.tkg.cli import tkg\n"
        "import phasemem.research.tkg\n"
        "print(sorted(tkg.commands))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['compare', 'eval', 'train']"


def test_models_without_torch_raise_missing_extra() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from phasemem.errors import MissingExtraError\n"
        "try:\n    import phasemem.research.tkg.models\nexcept MissingExtraError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'phasemem[tkg]'" in out.stdout


def test_train_eval_compare(synthetic_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    runner = CliRunner()
    out = tmp_path / "run"
    common = ["--dim", "8", "--epochs", "2", "--batch-size", "128", "--device", "cpu"]
    r = runner.invoke(
        tkg,
        ["train", "--data", str(synthetic_dir), "--alpha", "learned", "--out", str(out), *common],
    )
    assert r.exit_code == 0, r.output
    assert (out / "best.pt").is_file() and (out / "last.pt").is_file()
    r = runner.invoke(
        tkg, ["eval", "--checkpoint", str(out / "best.pt"), "--data", str(synthetic_dir)]
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert set(res) >= {"time_aware", "time_agnostic"}
    # resume a finished run: nothing left to train, same result
    r = runner.invoke(
        tkg,
        [
            "train",
            "--data",
            str(synthetic_dir),
            "--alpha",
            "learned",
            "--out",
            str(out),
            "--resume",
            *common,
        ],
    )
    assert r.exit_code == 0, r.output
    cmp_out = tmp_path / "cmp"
    r = runner.invoke(
        tkg,
        [
            "compare",
            "--data",
            str(synthetic_dir),
            "--out",
            str(cmp_out),
            "--only",
            "static",
            "--only",
            "tntcomplex",
            *common,
        ],
    )
    assert r.exit_code == 0, r.output
    table = (cmp_out / "table.md").read_text()
    assert "TNTComplEx" in table and "Static" in table and "time-agnostic" in table


def test_bad_data_is_reported(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    d = tmp_path / "bad"
    d.mkdir()
    (d / "train.txt").write_text("a\tr\tb\n")
    r = CliRunner().invoke(tkg, ["train", "--data", str(d), "--epochs", "1"])
    assert r.exit_code != 0
    assert "train.txt:1" in str(r.exception)


def test_compare_rows_and_parameter_matching() -> None:
    pytest.importorskip("torch")
    from phasemem.research.tkg.compare import SPEC_SETTINGS, default_specs, matched_dim
    from phasemem.research.tkg.train import TrainConfig

    plain = default_specs(TrainConfig(dim=64), with_gate=True, tnt_dim=60)
    assert [s.key for s in plain][:3] == ["phase_gate", "static", "tntcomplex"]
    assert not any(s.key.endswith("_design") for s in plain)  # main row is the design already
    cal = default_specs(TrainConfig(dim=64, calendar=True, base_init=300.0), True, 60)
    design = next(s for s in cal if s.key == "phase_gate_design")
    assert all(getattr(design.config, k) == v for k, v in SPEC_SETTINGS.items())
    assert cal[0].config.calendar and not cal[1].config.calendar and not cal[2].config.calendar
    # the calendar's per-day phases count towards the parameter budget TNTComplEx gets
    assert matched_dim(7128, 230, 365, 1024, calendar=True) > matched_dim(7128, 230, 365, 1024)
    # with the modulus too, the phase model has TNTComplEx's per-day budget: same D
    assert matched_dim(7128, 230, 365, 1024, calendar=True, amplitude=True) == 1024


def test_eval_on_days_the_model_never_saw_is_a_clean_error(
    synthetic_dir: Path, tmp_path: Path
) -> None:
    pytest.importorskip("torch")
    import shutil

    from phasemem.cli.main import cli

    out = tmp_path / "tnt"
    common = ["--dim", "8", "--epochs", "1", "--batch-size", "128", "--device", "cpu"]
    r = CliRunner().invoke(
        tkg,
        [
            "train",
            "--data",
            str(synthetic_dir),
            "--model",
            "tntcomplex",
            "--out",
            str(out),
            *common,
        ],
    )
    assert r.exit_code == 0, r.output
    later = tmp_path / "later"
    shutil.copytree(synthetic_dir, later)
    (later / "test.txt").write_text("s1\tholds\to2\t2021-06-01\n")  # long after training
    r = CliRunner().invoke(
        cli, ["tkg", "eval", "--checkpoint", str(out / "best.pt"), "--data", str(later)]
    )
    assert r.exit_code == 2, r.output
    assert "outside its training range" in r.output and "Traceback" not in r.output


def test_compare_rows_with_the_all_days_time_contrastive_loss() -> None:
    """All-days loss: alpha = 1 is the main row; per-relation speeds fall back to sampled
    days and say so; an ablation row keeps the sampled loss for the main model."""
    pytest.importorskip("torch")
    from phasemem.research.tkg.compare import default_specs
    from phasemem.research.tkg.train import TrainConfig

    specs = {s.key: s for s in default_specs(TrainConfig(dim=64, tc_days="all"), True, 60)}
    assert list(specs)[:4] == ["phase_one", "static", "tntcomplex", "phase_gate"]
    assert specs["phase_one"].config.tc_days == "all"
    assert "all days" in specs["phase_one"].label
    for key in ("phase_gate", "phase_learned", "phase_one_tc_sampled"):
        assert specs[key].config.tc_days == "sampled", key
        assert "sampled days" in specs[key].label, key
    assert specs["phase_one_no_tc"].config.tc_weight == 0.0
    # without a gate the main row is alpha = 1 as well, and no gate row appears
    no_gate = [s.key for s in default_specs(TrainConfig(dim=64, tc_days="all"), False, 60)]
    assert "phase_gate" not in no_gate and no_gate[0] == "phase_one"
