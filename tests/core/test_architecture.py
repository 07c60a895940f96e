"""The import graph points one way (docs/architecture.md).

Every module of the package belongs to a layer (by the longest matching
module prefix below); a module may import only from its own layer or lower
ones, and no two modules import each other, even through a chain. Imports
inside functions and under ``TYPE_CHECKING`` count too: a lazy import that
climbs a layer is still a call back up. Importing ``a.b.c`` also runs the
``__init__`` of ``a.b``, so that package counts as imported as well.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "phasemem"

#: lowest first; a module imports from its own row or rows above it
LAYERS: list[tuple[str, list[str]]] = [
    ("foundations", ["phasemem.errors", "phasemem._version", "phasemem.timeutil"]),
    ("values", ["phasemem.models", "phasemem.text", "phasemem.scope", "phasemem.ingest",
                "phasemem.validate", "phasemem.facts.model", "phasemem.facts.resolve",
                "phasemem.facts.decide", "phasemem.facts", "phasemem.store.dump",
                "phasemem.provenance"]),
    ("capabilities", ["phasemem.embed", "phasemem.extract", "phasemem.temporal",
                      "phasemem.trust", "phasemem.trust.standing", "phasemem.facts.kin"]),
    # the protocols (store.base), SQLite (store.sqlite*, store.sql, store.schema,
    # store.facts_sql, store.bytescan) and the pure-Python fake (store.memory*)
    ("storage", ["phasemem.store", "phasemem.store.base", "phasemem.store.memory",
                 "phasemem.store.memory_state", "phasemem.store.memory_facts", "phasemem.store.memory_dump",
                 "phasemem.store.memory_text", "phasemem.store.url", "phasemem.store.fts5_tokens"]),
    ("derived", ["phasemem.mirror", "phasemem.facts.prepare", "phasemem.facts.rank"]),
    ("retrieval", ["phasemem.retrieval"]),
    ("pipelines", ["phasemem.pipeline"]),
    ("facade", ["phasemem.memory", "phasemem"]),
    ("serving", ["phasemem.server", "phasemem.mcp_server"]),
    # the benchmark drivers and the TKG trainer: they may use the whole product,
    # and only the command line (which runs them) may use them
    ("research", ["phasemem.research", "phasemem.research.bench", "phasemem.research.tkg"]),
    ("tools", ["phasemem.cli", "phasemem.__main__"]),
]  # fmt: skip


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        parts = path.relative_to(PKG.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _layer(module: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            inside = module == p or (p != "phasemem" and module.startswith(p + "."))
            if inside and len(p) > best:
                best, rank = len(p), i
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def _known(target: str) -> str | None:
    while target not in MODULES and "." in target:
        target = target.rsplit(".", 1)[0]
    return target if target in MODULES else None


def _imports(module: str) -> set[str]:
    """Modules of the package that ``module`` imports (resolved, relative ones too)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            subs = [f"{base}.{a.name}" for a in node.names]
            # "from pkg import submodule" needs the submodule; pkg's __init__ runs
            # too, but for a module inside pkg that __init__ is already running
            inside = module.startswith(base + ".")
            names = ([] if inside and all(s in MODULES for s in subs) else [base]) + subs
        for name in names:
            if name.startswith("phasemem") and (hit := _known(name)) and hit != module:
                found.add(hit)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


def test_every_import_points_down() -> None:
    wrong = []
    for module, targets in GRAPH.items():
        mine = _layer(module)
        for t in targets:
            reached = [t] + [p for p in _parents(t) if not module.startswith(p + ".")]
            for r in reached:
                if _layer(r) > mine:
                    wrong.append(f"{module} ({LAYERS[mine][0]}) -> {r} ({LAYERS[_layer(r)][0]})")
    assert wrong == []


def test_no_import_cycles() -> None:
    state: dict[str, int] = defaultdict(int)  # 0 new, 1 on the path, 2 done
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(GRAPH[m]):
            if state[t] == 1:
                cycles.append(path[path.index(t) :] + [t])
            elif state[t] == 0:
                visit(t, path + [t])
        state[m] = 2

    for m in sorted(GRAPH):
        if state[m] == 0:
            visit(m, [m])
    assert cycles == []


def test_the_serving_and_facade_layers_never_reach_research() -> None:
    """Research code (the TKG trainer, benchmark drivers) is outside the
    product's import graph: nothing from the facade down, nor the servers,
    reaches it, even lazily."""
    product = [m for m in GRAPH if _layer(m) <= _layer("phasemem.mcp_server")]
    seen: set[str] = set()
    stack = list(product)
    while stack:
        m = stack.pop()
        if m in seen:
            continue
        seen.add(m)
        stack.extend(GRAPH[m])
    research = {m for m in seen if LAYERS[_layer(m)][0] == "research"}
    assert research == set()
