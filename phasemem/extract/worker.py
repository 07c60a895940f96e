"""The rule extractor in a prestarted child process, for one-shot commands.

Why: a cold ``phasemem add`` spends ~0.9 s CPU starting spaCy and ~0.7 s on the
rest (the store, numpy, the ONNX session, the embedding). Both are mostly Python
and share one GIL, so loading spaCy in a thread does not shorten the wall time
on two cores; a forked child does: it loads spaCy on the second core while the
parent opens the store and embeds, then parses the new text it is sent.

Only where forking is safe: on Linux, and only while the parent runs a single
thread (the CLI forks before it starts any). Anything going wrong with the child
(it died, the pipe broke) falls back to extracting in this process, so the
result never depends on the child being there; an error the extractor raises
on bad input comes back as itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
from collections.abc import Sequence
from typing import Any

from phasemem.extract.types import Extraction, ExtractionInput, Extractor


def _serve(conn: Any) -> None:
    """The child: load the default extractor, then answer batches until EOF or None.
    Ctrl-C reaches the whole process group: the parent reports it, the child just ends."""
    with contextlib.suppress(KeyboardInterrupt):
        _answer(conn)


def _answer(conn: Any) -> None:
    from phasemem.extract import default_extractor

    extractor = default_extractor()
    with contextlib.suppress(Exception):  # a failed load is reported by the first batch
        extractor.warm()
    while True:
        try:
            items = conn.recv()
        except (EOFError, OSError):
            return
        if items is None:
            return
        try:
            conn.send(("ok", extractor.extract_batch(items)))
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent
            conn.send(("error", exc))


def can_fork() -> bool:
    """Whether a child can be forked safely here and now."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


class ExtractorProcess(Extractor):
    """:func:`phasemem.extract.default_extractor`, running in a forked child."""

    name = "rules"

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), daemon=True,
                                 name="phasemem-extractor")  # fmt: skip
        self._proc.start()
        child.close()
        self._lock = threading.Lock()
        self._broken = False

    def extract(self, item: ExtractionInput) -> Extraction:
        return self.extract_batch([item])[0]

    def extract_batch(self, items: Sequence[ExtractionInput]) -> list[Extraction]:
        with self._lock:
            if not self._broken:
                try:
                    self._conn.send(list(items))
                    kind, payload = self._conn.recv()
                except (EOFError, OSError, ValueError):
                    self._broken = True
                else:
                    if kind == "error":
                        raise payload
                    return list(payload)
        from phasemem.extract import default_extractor

        return default_extractor().extract_batch(items)

    def close(self) -> None:
        """Tell the child to stop and wait for it (briefly)."""
        with self._lock:
            if not self._broken:
                with contextlib.suppress(OSError, ValueError):
                    self._conn.send(None)
            self._broken = True
            self._conn.close()
        self._proc.join(timeout=1)
        if self._proc.is_alive():
            self._proc.terminate()


def start() -> ExtractorProcess | None:
    """A prestarted extractor process, or None where forking is not safe."""
    if not can_fork():
        return None
    try:
        return ExtractorProcess()
    except OSError:
        return None
