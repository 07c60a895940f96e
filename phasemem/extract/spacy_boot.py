"""Starting spaCy quickly: what a cold ``phasemem add`` pays before its first parse.

A fresh process that extracts facts spends most of its time importing spaCy and
loading ``en_core_web_sm`` (issue 12, item 18: ``add`` <= 1.5 s cold). Three parts
of that work are for features the extractor never uses, and are skipped here:

* **PyTorch**: thinc imports torch whenever it is installed (the ``[tkg]`` extra),
  for wrapped layers the small English model does not have (~3 s).
  :class:`_RefuseImports` refuses it to the importing thread only.
* **spaCy's command line**: ``spacy/__init__`` runs ``from .cli.info import info``,
  which imports the whole CLI (typer, weasel, requests: ~0.2-0.4 s). While spaCy is
  imported, ``spacy.cli`` and ``spacy.cli.info`` are placeholders; ``spacy.info``
  imports the real function when called, and ``import spacy.cli`` afterwards loads
  the real package.
* **Entry points filtered again on every registry lookup**: catalogue (spaCy's
  registries) reads the installed packages' entry points once, at import, but
  filters that list anew on each lookup, and srsly looks up its msgpack hooks on
  every ``msgpack_loads``: ~250 filterings while the model loads (~0.12 s). The
  list is fixed, so :class:`_SelectOnce` keeps each group's filtering.
* **The tokenizer built twice**: ``spacy.load`` first builds the language's default
  tokenizer (2,700 special cases) and then replaces every part of it with the saved
  one from the model's folder. :func:`load` builds an empty tokenizer instead, which
  ``from_disk`` fills the same way (~0.2 s). ``tests/extract/test_spacy_boot.py``
  checks that the tokens and the parse come out identical.

Nothing changes when spaCy is already imported (then its import has happened).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import threading
import types
from pathlib import Path
from typing import Any

BARE_TOKENIZER = "phasemem.BareTokenizer.v1"


class _SelectOnce:
    """The same entry points, each ``select(...)`` computed once.

    catalogue holds ``importlib.metadata.entry_points()`` read at its import, so the
    answer for a group cannot change afterwards; only the repeated filtering goes.
    Everything else is passed through to the wrapped object."""

    def __init__(self, entry_points: Any) -> None:
        self._wrapped = entry_points
        self._memo: dict[tuple[tuple[str, Any], ...], Any] = {}

    def select(self, **params: Any) -> Any:
        key = tuple(sorted(params.items()))
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._wrapped.select(**params)
        return hit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


def _memoize_entry_points() -> None:
    import catalogue

    eps = getattr(catalogue, "AVAILABLE_ENTRY_POINTS", None)
    if eps is not None and hasattr(eps, "select") and not isinstance(eps, _SelectOnce):
        catalogue.AVAILABLE_ENTRY_POINTS = _SelectOnce(eps)


class _RefuseImports(importlib.abc.MetaPathFinder):
    """Refuses the named top-level packages to the one thread that is importing spaCy.

    Other threads import them as usual, so a server that loads torch for the TKG
    model in parallel is not affected."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.active = threading.local()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if getattr(self.active, "on", False) and fullname.split(".", 1)[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


_no_torch = _RefuseImports(frozenset({"torch"}))
_import_lock = threading.Lock()


def _real_info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info`` as spaCy defines it, imported on first call."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _cli_placeholders() -> dict[str, types.ModuleType]:
    """Stand-ins for ``spacy.cli`` and ``spacy.cli.info`` while spaCy is imported.

    The package keeps its real ``__path__``, so any other ``spacy.cli.X`` that a
    future spaCy imports at start still loads for real."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return {}
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = [str(Path(next(iter(spec.submodule_search_locations))) / "cli")]
    info = types.ModuleType("spacy.cli.info")
    info.info = _real_info  # type: ignore[attr-defined]
    return {"spacy.cli": cli, "spacy.cli.info": info}


def import_spacy() -> Any:
    """``import spacy`` without torch and without spaCy's command line."""
    if "spacy" in sys.modules:
        import spacy

        return spacy
    with _import_lock:
        if "spacy" in sys.modules:
            import spacy

            return spacy
        placeholders = {} if "spacy.cli" in sys.modules else _cli_placeholders()
        refuse_torch = "thinc" not in sys.modules and "torch" not in sys.modules
        for name, module in placeholders.items():
            sys.modules[name] = module
        if refuse_torch:
            sys.meta_path.insert(0, _no_torch)
            _no_torch.active.on = True
        try:
            import spacy
        finally:
            if refuse_torch:
                _no_torch.active.on = False
                sys.meta_path.remove(_no_torch)
            for name, module in placeholders.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
        if getattr(spacy, "cli", None) is placeholders.get("spacy.cli"):
            delattr(spacy, "cli")  # so that ``spacy.cli`` resolves to the real package
        _memoize_entry_points()
        _register_bare_tokenizer(spacy)
        return spacy


def _register_bare_tokenizer(spacy: Any) -> None:
    from spacy.tokenizer import Tokenizer

    def make_bare() -> Any:
        def build(nlp: Any) -> Any:
            return Tokenizer(nlp.vocab)

        return build

    if BARE_TOKENIZER not in spacy.registry.tokenizers:
        spacy.registry.tokenizers.register(BARE_TOKENIZER, func=make_bare)


def load(name: str) -> Any:
    """Load the pipeline ``name`` with an empty tokenizer that its saved one fills.

    Raises ``OSError`` when the model package is not installed (as ``spacy.load``)."""
    spacy = import_spacy()
    _register_bare_tokenizer(spacy)  # also when spaCy was imported before us
    return spacy.load(name, config={"nlp": {"tokenizer": {"@tokenizers": BARE_TOKENIZER}}})
