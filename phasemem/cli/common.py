"""Shared CLI plumbing: opening the database, printing, error handling.

Nothing here imports the library's heavy parts (numpy, the models): every
command pays only for what it uses.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich import box
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from phasemem.errors import PhasememError

if TYPE_CHECKING:
    from phasemem.memory import Memory

#: Width of tables written to a pipe or a file (rich would assume 80 columns).
PIPE_WIDTH = 200


class _Console(Console):
    """A console that does not cut piped output to 80 columns.

    rich sizes output to the terminal, and to 80 columns when there is none
    (a pipe, a file, an agent's subprocess), which folded every table there.
    Without a terminal, tables get ``PIPE_WIDTH`` columns unless ``COLUMNS``
    says otherwise."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self._width is None and not self.is_terminal and "COLUMNS" not in self._environ:
            return ConsoleDimensions(PIPE_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size  # what rich's own setter does


console = _Console(highlight=False)
err_console = _Console(stderr=True, highlight=False)


@dataclass
class Ctx:
    db: str | None
    embedder: str | None

    def db_path(self) -> str:
        """The SQLite file to open, ``memory://`` or a ``postgresql://`` URL,
        checked (a URL this build cannot serve is refused here, before a folder
        is made for it)."""
        from phasemem.store.url import MEMORY_URL, is_postgres, store_location

        if self.db and is_postgres(self.db):
            return self.db
        if self.db:
            path = store_location(self.db)
        else:
            from phasemem.memory import default_db_path

            path = str(default_db_path())
        if path not in (":memory:", MEMORY_URL):
            path = str(Path(path).expanduser())
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return path

    def memory(self, *, warm: Iterable[str] = (), **kwargs: Any) -> Memory:
        """Open the database. ``warm``: models the command will use ("embedder",
        "extractor"), loaded in background threads meanwhile (see :func:`warm_up`);
        the default extractor in a forked child where that is safe
        (:mod:`phasemem.extract.worker`)."""
        want = set(warm)
        if "extractor" in want and "extractor" not in kwargs:
            from phasemem.extract import worker  # light: no spaCy in this process

            proc = worker.start()  # loads spaCy on the other core; None where unsafe
            if proc is not None:
                kwargs["extractor"] = proc
                want.discard("extractor")
                click.get_current_context().call_on_close(proc.close)
        warm_up(self.embedder, want)
        path = self.db_path()
        from phasemem.memory import Memory

        return Memory(path, embedder=self.embedder, **kwargs)


def warm_up(embedder: str | None, what: set[str]) -> None:
    """Start loading models in daemon threads while the main thread imports the
    library and opens the database.

    Why: a cold ``search`` spends ~0.4 s building the ONNX session, and a cold
    ``add`` another second loading spaCy; both run mostly outside the GIL or
    beside imports, so on two cores they overlap with the rest of start-up
    instead of following it. The real calls wait for a load in progress
    (both loaders hold a lock), and a failed warm-up is left for the real
    call to report."""
    import threading

    def embed() -> None:
        try:
            from phasemem.embed import get_embedder

            get_embedder(embedder).warm()
        except Exception:  # the command's own call raises it properly
            pass

    def extract() -> None:
        try:
            from phasemem.extract import default_extractor

            default_extractor().warm()
        except Exception:
            pass

    for name, fn in (("embedder", embed), ("extractor", extract)):
        if name in what:
            threading.Thread(target=fn, name=f"phasemem-warm-{name}", daemon=True).start()


pass_ctx = click.make_pass_decorator(Ctx)


def _exit_status(code: object) -> int:
    """``sys.exit``'s rules: None is 0, an int is itself, anything else is printed, 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def leave(code: object) -> NoReturn:
    """End the process as ``sys.exit(code)`` would, minus the interpreter's teardown.

    Why: once spaCy and the ONNX session are loaded, freeing every module and object
    at exit takes ~0.2 s of a 1.5 s cold ``add``, for memory the OS takes back anyway.
    Everything a normal exit does that has an effect outside the process still
    happens, in the same order: other non-daemon threads are joined, ``atexit``
    handlers run (logging is flushed), stdout and stderr are flushed. Databases
    are closed by the commands themselves (``with Memory(...)``) before this."""
    import atexit
    import os
    import threading

    status = _exit_status(code)
    # What Py_FinalizeEx does first: threading's exit hooks (executors stop), then
    # join the non-daemon threads; then the atexit handlers; then flush stdio.
    shutdown = getattr(threading, "_shutdown", None)
    if callable(shutdown):
        shutdown()
    else:  # pragma: no cover - every CPython since 3.4 has it
        for t in threading.enumerate():
            if t is not threading.current_thread() and not t.daemon:
                t.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: as CPython, exit 120
            status = status or 120
    os._exit(status)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fail(exc: PhasememError) -> None:
    """One line on stderr, exit code 2. The message is escaped: rich would read
    ``[server]`` in "pip install 'phasemem[server]'" as a style tag and drop it."""
    err_console.print(f"[red]error[/red] ({exc.code}): {escape(exc.message)}")
    sys.exit(2)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")

#: Column kinds whose values should stay whole (a folded date reads badly);
#: "text" and "short" columns give up width first.
_WHOLE = {"when", "id", "num"}
_FLEX_MIN = 8  # narrowest a text column is squeezed to before dates fold


class _FitTable(Table):
    """A table that never cuts a value: every column folds what does not fit
    (rich's default cut it with an ellipsis), and when the console is too
    narrow for every value on one line, text columns wrap first so that dates,
    ids and numbers stay whole. Only when even that does not fit is the
    layout left to rich, which then folds every column.

    Why widths are set here: rich shrinks the widest columns first, which
    are the dates, and a column with a minimum width or ``no_wrap`` makes it
    overflow the console instead."""

    def __init__(self, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kinds = kinds

    def __rich_console__(self, console: Console, options: Any) -> Any:
        self._fit(options.max_width)
        yield from super().__rich_console__(console, options)

    def _fit(self, max_width: int) -> None:
        from rich.cells import cell_len

        n = len(self.columns)
        try:  # rules, edges and padding, as rich counts them
            overhead = self._extra_width + sum(self._get_padding_width(i) for i in range(n))
        except AttributeError:  # pragma: no cover - another rich: assume the most
            overhead = 3 * n + 1
        avail = max_width - overhead
        natural = [
            max(cell_len(line) for c in (col.header, *col._cells) for line in str(c).splitlines() or [""])
            for col in self.columns
        ]  # fmt: skip
        for col in self.columns:
            col.width = None
        if sum(natural) <= avail:
            return
        whole = [k in _WHOLE for k in self.kinds]
        least = [w if fixed else min(w, _FLEX_MIN) for w, fixed in zip(natural, whole, strict=True)]
        if sum(least) > avail:
            return
        widths = list(least)
        extra = avail - sum(least)
        wants = [0 if fixed else w - m for w, m, fixed in zip(natural, least, whole, strict=True)]
        total = sum(wants)
        for i, want in enumerate(wants):
            if total:
                widths[i] += min(want, extra * want // total)
        for col, w in zip(self.columns, widths, strict=True):
            col.width = max(w, 1)


_COLUMNS: dict[str, dict[str, Any]] = {
    "text": {"overflow": "fold"},
    "short": {"overflow": "fold"},
    "when": {"overflow": "fold"},
    "id": {"overflow": "fold"},
    "num": {"overflow": "fold", "justify": "right"},
}


def table(columns: Iterable[tuple[str, str]], title: str | None = None) -> Table:
    """A table that wraps or folds long values instead of truncating them.
    ``columns``: (header, kind) with kind one of text, short, when, id, num."""
    cols = list(columns)
    # No vertical rules, no outer padding, one space of padding between
    # columns: an 8-column facts table then shows its dates whole in 80 columns.
    t = _FitTable([kind for _, kind in cols], title=escape(title) if title else None,
                  title_justify="left", box=box.SIMPLE_HEAD, header_style="bold",
                  show_edge=False, pad_edge=False, collapse_padding=True)  # fmt: skip
    for header, kind in cols:
        t.add_column(header, **_COLUMNS[kind])
    return t


def cell(value: Any) -> Text:
    """A table cell shown as written: user text is never read as rich markup."""
    return Text("" if value is None else str(value))


def row(t: Table, *values: Any) -> None:
    t.add_row(*(cell(v) for v in values))


def print_kv(data: dict[str, Any]) -> None:
    """``key: value`` lines (values as written, not as markup)."""
    for k, v in data.items():
        console.print(Text.assemble((str(k), "bold"), ": ", str(v)))
