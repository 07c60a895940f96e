"""Shared CLI plumbing: opening the database, printing, error handling."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from phasemem.errors import PhasememError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@dataclass
class Ctx:
    db: str | None
    embedder: str | None

    def db_path(self) -> str:
        from phasemem.memory import default_db_path

        path = self.db or str(default_db_path())
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return path

    def memory(self):  # type: ignore[no-untyped-def]
        from phasemem.memory import Memory

        return Memory(self.db_path(), embedder=self.embedder)


pass_ctx = click.make_pass_decorator(Ctx)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def fail(exc: PhasememError) -> None:
    err_console.print(f"[red]error[/red] ({exc.code}): {exc.message}")
    sys.exit(2)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
