"""Moving a memory: export to the dump format and import from it.

The format is declared in :mod:`phasemem.store.dump`; a store reads and writes
its rows. What happens here is what neither side knows alone: the header (which
embedder made the vectors), writing a file privately and atomically, reading
lines with their numbers for errors, checking every row before any of its batch
is written, and re-embedding episodes and facts when the dump came from
another embedder.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, Protocol

from phasemem.embed.base import Embedder
from phasemem.embed.quant import quantize
from phasemem.errors import ImportFormatError, InvalidInputError
from phasemem.pipeline.write import embed_text
from phasemem.store import dump
from phasemem.store.dump import ImportState, dump_line
from phasemem.validate import check_import_row

IMPORT_BATCH = 500


class DumpStore(Protocol):
    def export_rows(self, user_id: str | None = None) -> Iterator[dict[str, Any]]: ...

    def import_rows(
        self, rows: list[dict[str, Any]], *, actor: str | None, state: Any = None
    ) -> int: ...


def export_iter(
    store: DumpStore, embedder: Embedder, *, user_id: str | None = None
) -> Generator[dict[str, Any], None, None]:
    """The dump as rows, header first, from one snapshot of the store."""
    yield dump.header(embedder=embedder.name, dim=embedder.dim, user_id=user_id)
    yield from store.export_rows(user_id)


def export_file(rows: Iterator[dict[str, Any]], target: Path) -> int:
    """Write dump rows to ``target``; returns rows written (header excluded).
    The file is readable by its owner only (it holds every memory) and
    appears whole or not at all."""
    if not target.parent.is_dir():
        raise InvalidInputError(f"no such directory: {target.parent}", field="path")
    if target.is_dir():
        raise InvalidInputError(f"{target} is a directory", path=str(target))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    n = -1
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(dump_line(row))
                n += 1
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return n


def import_file(
    store: DumpStore,
    embedder: Embedder,
    path: Path,
    *,
    actor: str | None,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Load a dump (format versions 1 and 2) in batches of a few hundred rows,
    each one transaction, so a crash keeps everything before it. Importing the
    same file twice adds nothing. Returns episodes added."""
    if not path.is_file():
        raise InvalidInputError(f"no such file: {path}", path=str(path))
    reembed = True  # no header: trust no vectors
    version = 1
    state = ImportState()
    batch: list[dict[str, Any]] = []
    added = 0
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                raise ImportFormatError(
                    f"{where}: not a JSON line ({exc})", path=str(path), line=lineno
                ) from exc
            if not isinstance(row, dict):
                raise ImportFormatError(f"{where}: expected an object", path=str(path),
                                        line=lineno)  # fmt: skip
            if row.get("kind") == "header":
                version = dump.check_header(row, where)
                reembed = row.get("embedder") != embedder.name or row.get("dim") != embedder.dim
                continue
            try:
                dump.check_row(row, version, where)  # shape, types and times
            except ImportFormatError as exc:
                raise ImportFormatError(exc.message, path=str(path), line=lineno,
                                        field=exc.context.get("field")) from exc  # fmt: skip
            check_import_row(row, path, lineno)  # each field as the API checks it
            row["_line"] = lineno
            batch.append(row)
            if len(batch) >= IMPORT_BATCH:
                added += _batch(store, embedder, batch, path, reembed, state, actor)
                if progress:
                    progress(len(batch))
                batch = []
    if batch:
        added += _batch(store, embedder, batch, path, reembed, state, actor)
        if progress:
            progress(len(batch))
    return added


def _batch(store: DumpStore, embedder: Embedder, batch: list[dict[str, Any]], path: Path,
           reembed: bool, state: ImportState, actor: str | None) -> int:  # fmt: skip
    """One transaction; vectors from another embedder are recomputed."""
    for r in batch:  # facts below may name these entities
        if r["kind"] == "entity":
            state.names[r["ref"]] = r["name"]
    if reembed:
        eps = [r for r in batch if r["kind"] == "episode"]
        facts = [r for r in batch if r["kind"] == "fact"]
        texts = [embed_text(r["text"], r.get("speaker")) for r in eps]
        texts += [_fact_text(r, state) for r in facts]
        if texts:
            codes, scales = quantize(embedder.embed(texts))
            for r, c, s in zip(eps + facts, codes, scales, strict=True):
                r["vector"] = base64.b64encode(c.tobytes()).decode()
                r["vscale"] = float(s)
    try:
        return store.import_rows(batch, actor=actor, state=state)
    except ImportFormatError as exc:
        line = exc.context.get("line")
        raise ImportFormatError(f"{path}:{line}: {exc.message}", path=str(path),
                                line=line) from exc  # fmt: skip


def _fact_text(row: dict[str, Any], state: ImportState) -> str:
    """What a fact's vector embeds ("subject relation object"), from the dump."""
    names = state.names
    return (
        f"{names.get(row['subject_ref'], '')} {row['relation']} {names.get(row['object_ref'], '')}"
    )


__all__ = ["IMPORT_BATCH", "export_file", "export_iter", "import_file"]
