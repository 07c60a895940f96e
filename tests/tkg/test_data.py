"""Parsing, vocabularies, reciprocals and filters (numpy only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from phasemem.errors import InvalidInputError
from phasemem.research.tkg import (
    TKGDataError,
    add_reciprocals,
    build_filters,
    load_dataset,
    read_quadruples,
)
from phasemem.research.tkg.data import FilterIndex, Vocab, encode


def test_reads_and_encodes(synthetic_dir: Path) -> None:
    ds = load_dataset(synthetic_dir)
    assert ds.n_relations == 2
    assert ds.n_entities == 14
    assert ds.day_range == (0, 47)
    assert ds.train.dtype == np.int64 and ds.train.shape[1] == 4
    assert ds.vocab.epoch.isoformat() == "2020-01-01"


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ("a\tr\tb\t2014-01-01\na\tr\tb\n", 2, "4 tab-separated columns"),
        ("a\tr\tb\t2014-01-01\tx\n", 1, "got 5"),
        ("a\tr\tb\t2014-13-01\n", 1, "unknown date"),
        ("a\tr\tb\tyesterday\n", 1, "unknown date"),
        ("a\t\tb\t2014-01-01\n", 1, "empty relation"),
    ],
)
def test_malformed_lines_name_file_and_line(
    tmp_path: Path, content: str, line: int, fragment: str
) -> None:
    p = tmp_path / "bad.txt"
    p.write_text(content)
    with pytest.raises(TKGDataError) as ei:
        read_quadruples(p)
    err = ei.value
    assert isinstance(err, InvalidInputError) and isinstance(err, ValueError)
    assert err.line == line and err.path == str(p)
    assert fragment in str(err) and f"bad.txt:{line}" in str(err)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_text("\n\n")
    with pytest.raises(TKGDataError, match="empty file"):
        read_quadruples(p)
    with pytest.raises(TKGDataError, match="not found"):
        read_quadruples(tmp_path / "nope.txt")
    with pytest.raises(TKGDataError, match="missing train split"):
        load_dataset(tmp_path)


def test_unknown_entity_at_evaluation(tmp_path: Path, synthetic_dir: Path) -> None:
    vocab = load_dataset(synthetic_dir).vocab
    p = tmp_path / "test.txt"
    p.write_text("s0\tholds\to1\t2020-01-02\ns0\tholds\tnobody\t2020-01-03\n")
    with pytest.raises(TKGDataError, match="unknown entity 'nobody'") as ei:
        encode(read_quadruples(p), vocab, p)
    assert ei.value.line == 2


def test_reciprocals() -> None:
    q = np.array([[0, 1, 2, 5]])
    both = add_reciprocals(q, 3)
    assert both.tolist() == [[0, 1, 2, 5], [2, 4, 0, 5]]


def test_filters_time_aware_vs_agnostic() -> None:
    # (0, r0, 1, day 0), (0, r0, 2, day 0), (0, r0, 3, day 1)
    q = np.array([[0, 0, 1, 0], [0, 0, 2, 0], [0, 0, 3, 1]])
    aware = FilterIndex(q, 2, 0, 2, True)
    agnostic = FilterIndex(q, 2, 0, 2, False)
    assert sorted(aware.answers(np.array([0]), np.array([0]), np.array([0]))[0].tolist()) == [1, 2]
    assert aware.answers(np.array([0]), np.array([0]), np.array([1]))[0].tolist() == [3]
    assert sorted(agnostic.answers(np.array([0]), np.array([0]), np.array([1]))[0].tolist()) == [
        1,
        2,
        3,
    ]
    assert aware.answers(np.array([5]), np.array([1]), np.array([0]))[0].size == 0


def test_build_filters_cover_all_splits_and_heads(synthetic_dir: Path) -> None:
    ds = load_dataset(synthetic_dir)
    f = build_filters(ds)["time_aware"]
    h, r, t, d = ds.splits["test"][0]
    assert t in f.answers(np.array([h]), np.array([r]), np.array([d]))[0]
    # head query through the reciprocal relation
    assert h in f.answers(np.array([t]), np.array([r + ds.n_relations]), np.array([d]))[0]


def test_vocab_roundtrip() -> None:
    v = Vocab(["a", "b"], ["r"], __import__("datetime").date(2014, 1, 1))
    w = Vocab.from_dict(v.to_dict())
    assert w.entities == v.entities and w.epoch == v.epoch and w.ent_index["b"] == 1
