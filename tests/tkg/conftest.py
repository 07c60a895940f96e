"""Synthetic ICEWS-format data for the TKG tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

EPOCH = date(2020, 1, 1)


def write_split(path: Path, rows: list[tuple[str, str, str, int]]) -> None:
    path.write_text(
        "".join(
            f"{h}\t{r}\t{t}\t{(EPOCH + timedelta(days=d)).isoformat()}\n" for h, r, t, d in rows
        )
    )


def synthetic_rows(seed: int = 0) -> list[tuple[str, str, str, int]]:
    """A temporal KG whose answers depend on time.

    Subject ``s{i}`` (i < 8) ``holds`` object ``o{(i + day // 12) % 6}``: the object
    changes every 12 days, over 48 days, so each subject has 4 different objects,
    and one day decides which. A static model can only spread its mass over those 4.
    A second, static relation ``likes`` (s{i} likes o{i % 6} every 6th day) is noise
    the static part can learn.
    """
    rows = []
    for i in range(8):
        for d in range(48):
            rows.append((f"s{i}", "holds", f"o{(i + d // 12) % 6}", d))
            if d % 6 == 0:
                rows.append((f"s{i}", "likes", f"o{i % 6}", d))
    return rows


@pytest.fixture
def synthetic_dir(tmp_path: Path) -> Path:
    rows = synthetic_rows()
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(rows))
    n_test = len(rows) // 10
    test = [rows[i] for i in idx[:n_test]]
    valid = [rows[i] for i in idx[n_test : 2 * n_test]]
    train = [rows[i] for i in idx[2 * n_test :]]
    d = tmp_path / "synth"
    d.mkdir()
    write_split(d / "train.txt", train)
    write_split(d / "valid.txt", valid)
    write_split(d / "test.txt", test)
    return d
