"""What a fresh process imports: each command loads only what it needs
(``benchmarks/cold_start.py`` measures the wall time this buys)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

HEAVY = ["numpy", "phasemem.memory", "fastapi", "mcp", "torch", "spacy", "onnx", "onnxruntime",
         "rich.progress", "phasemem.cli.serve", "phasemem.cli.bench", "phasemem.research.tkg.cli"]  # fmt: skip


def _loaded(code: str, names: list[str]) -> list[str]:
    """Run ``code`` in a fresh interpreter; which of ``names`` it imported."""
    probe = (
        f"{code}\nimport sys, json\nprint(json.dumps([n for n in {names!r} if n in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_help_and_command_help_import_nothing_heavy() -> None:
    main = "from phasemem.cli import cli\ntry:\n    cli([{args}])\nexcept SystemExit:\n    pass"
    assert _loaded(main.format(args="'--help'"), HEAVY) == []
    assert _loaded(main.format(args="'search', '--help'"), HEAVY) == []


def test_library_names_load_on_first_use() -> None:
    assert _loaded("import phasemem", ["numpy", "phasemem.memory"]) == []
    assert _loaded("from phasemem import Memory", ["phasemem.memory"]) == ["phasemem.memory"]


def test_search_needs_no_parser_and_add_no_torch_or_onnx() -> None:
    """spaCy loads on the first extraction, not for a search; the rewritten MiniLM
    graph comes from the model cache without the onnx package (once a first
    process built it); thinc is kept from importing PyTorch."""
    _loaded("from phasemem.embed.minilm import MiniLMEmbedder\nMiniLMEmbedder().warm()", [])
    setup = (
        "from phasemem import Memory\n"
        "m = Memory(':memory:')\n"
        "m.search('where does Maya live', user_id='maya')\n"
    )
    assert _loaded(setup, ["spacy", "onnx", "torch", "dateparser", "phasemem.extract.rules"]) == []
    add = (
        setup
        + "m.add({'role': 'user', 'name': 'Maya', 'content': 'I moved to Lisbon.'}, user_id='maya')"
    )
    loaded = _loaded(add, ["spacy", "onnx", "torch"])
    assert loaded == ["spacy"]


@pytest.mark.slow  # two torch imports: ~15 s here
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch installed")
def test_torch_still_imports_after_spacy_and_thinc_uses_it_if_loaded_first() -> None:
    code = (
        "from phasemem.extract.rules import load_model\n"
        "load_model()\n"
        "import torch, thinc.compat\n"
        "assert torch.zeros(1).sum().item() == 0 and not thinc.compat.has_torch\n"
    )
    assert _loaded(code, ["torch"]) == ["torch"]
    first = "import torch\nfrom phasemem.extract.rules import load_model\nload_model()\nimport thinc.compat\nassert thinc.compat.has_torch"
    assert _loaded(first, ["torch"]) == ["torch"]


def test_warm_up_loads_the_models_the_first_call_needs() -> None:
    """A server warms up in a thread while its client connects; the first call
    then finds the parser and the ONNX session loaded."""
    code = (
        "from phasemem import Memory\n"
        "from phasemem.extract import rules\n"
        "m = Memory(':memory:')\n"
        "t = m.warm_up()\n"
        "t.join()\n"
        "assert m.embedder._session is not None and rules._post_cache\n"
        "assert m.embedder._session is m.embedder._query_session  # one ONNX session\n"
        "m.close()\n"
    )
    assert _loaded(code, ["spacy", "onnxruntime"]) == ["spacy", "onnxruntime"]
