"""API keys in PostgreSQL: one ``keys`` table that every server on every host reads.

Why: with keys in a local ``keys.db`` a key made on host A was unknown on
host B until the file was copied, and a revocation stayed valid on every
host with an old copy. Here each request reads the key's row from the
database, so a key made or revoked through any host counts on the next
request everywhere.

The table lives in a schema of its own (``phasemem_keys``, or ``keys_schema=``
in the URL), never in a tenant's schema: tenant connections run as the
tenant's role, which has no rights on it, so a tenant's queries cannot read
keys. The checks are :class:`~phasemem.server.keys.BaseKeyStore`'s: the same
scrypt hash, HMAC verifier, scrypt budget and equal-cost refusals as the file
deployment.

The pepper (the HMAC key) is not in the database: every host must be given
the same one (``$PHASEMEM_KEY_PEPPER``, ``$PHASEMEM_KEY_PEPPER_FILE``, or the
same ``keys.pepper`` in each data directory). The database keeps its
fingerprint; a server started with another pepper refuses to start, since its
verifiers would refuse every key the others made (and, were it to reset them,
it would push every other host onto scrypt).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from phasemem.errors import InvalidInputError, StoreError
from phasemem.server.keys import (
    _COLS,
    BaseKeyStore,
    KeyInfo,
    KeyRow,
    KeyStore,
    ScryptBudget,
    load_pepper,
    pepper_id,
)
from phasemem.store.postgres import _lock_key, parse_url, redact

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,47}$")
DEFAULT_SCHEMA = "phasemem_keys"
#: versioned, as the tenant schemas are (``keys_meta`` row ``version``)
KEYS_VERSION = 1
_DDL = """
CREATE TABLE IF NOT EXISTS "{s}".keys (
    kid        TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    name       TEXT,
    salt       BYTEA NOT NULL,
    hash       BYTEA NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    revoked_at DOUBLE PRECISION,
    verifier   BYTEA,
    user_id    TEXT
);
CREATE INDEX IF NOT EXISTS keys_tenant ON "{s}".keys (tenant);
CREATE TABLE IF NOT EXISTS "{s}".keys_meta (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
"""


class PgKeyStore(BaseKeyStore):
    """The ``keys`` table of a PostgreSQL deployment (see the module docstring).

    ``url``: the servers' ``--db`` (its ``schema`` option, if any, is ignored:
    keys are in ``keys_schema``); ``pepper_file``: where the pepper is read or
    made when neither environment variable gives one."""

    def __init__(
        self,
        url: str,
        *,
        pepper_file: str | Path | None,
        scrypt_budget: ScryptBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:  # pragma: no cover - the extra is missing
            raise StoreError("PostgreSQL needs psycopg: pip install 'phasemem[postgres]'",
                             path=redact(url)) from exc  # fmt: skip
        super().__init__(load_pepper(pepper_file), scrypt_budget=scrypt_budget, clock=clock)
        conninfo, opts = parse_url(url)
        self.schema = opts.get("keys_schema") or DEFAULT_SCHEMA
        if not _SCHEMA_RE.match(self.schema):
            raise InvalidInputError("keys_schema must be lower-case letters, digits and _"
                                    " (at most 48)", field="db")  # fmt: skip
        self.path = redact(url)
        self._psycopg = psycopg
        try:
            self._prepare(conninfo)
            self._pool = ConnectionPool(conninfo, min_size=1, max_size=4, open=True, timeout=30,
                                        kwargs={"autocommit": True},
                                        name=f"phasemem-{self.schema}")  # fmt: skip
            self._pool.wait(timeout=30)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the keys in {self.path}: {exc}", path=self.path) from exc

    def _prepare(self, conninfo: str) -> None:
        """Schema, tables and the pepper's fingerprint, under a lock so that
        servers starting together do not race on CREATE."""
        s = self.schema
        pid = pepper_id(self._pepper)
        with self._psycopg.connect(conninfo, autocommit=True) as c:
            c.execute("SELECT pg_advisory_lock(%s)", [_lock_key("keys:" + s)])
            try:
                c.execute(f'CREATE SCHEMA IF NOT EXISTS "{s}"')
                c.execute(f'REVOKE ALL ON SCHEMA "{s}" FROM PUBLIC')
                c.execute(_DDL.format(s=s))
                row = c.execute(
                    f"SELECT value FROM \"{s}\".keys_meta WHERE name = 'version'"
                ).fetchone()
                version = int(bytes(row[0]).decode()) if row else 0
                if version > KEYS_VERSION:
                    raise StoreError(f"the keys in {self.path} (schema {s}) are v{version}; this"
                                     f" phasemem knows up to v{KEYS_VERSION}: upgrade phasemem",
                                     path=self.path)  # fmt: skip
                c.execute(f"INSERT INTO \"{s}\".keys_meta VALUES ('version', %s) ON CONFLICT (name)"
                          " DO UPDATE SET value = excluded.value", [str(KEYS_VERSION).encode()])  # fmt: skip
                row = c.execute(
                    f"SELECT value FROM \"{s}\".keys_meta WHERE name = 'pepper_id'"
                ).fetchone()
                if row is not None and bytes(row[0]) != pid:
                    live = c.execute(
                        f'SELECT count(*) FROM "{s}".keys WHERE verifier IS NOT NULL'
                    ).fetchone()
                    if live and live[0]:
                        raise StoreError(
                            f"this server's key pepper is not the one the keys in {self.path}"
                            f" (schema {s}) were made with: give every server the same"
                            " $PHASEMEM_KEY_PEPPER (or the same keys.pepper file)",
                            path=self.path,
                        )
                if row is None or bytes(row[0]) != pid:
                    c.execute(f"INSERT INTO \"{s}\".keys_meta VALUES ('pepper_id', %s)"
                              " ON CONFLICT (name) DO UPDATE SET value = excluded.value", [pid])  # fmt: skip
            finally:
                c.execute("SELECT pg_advisory_unlock(%s)", [_lock_key("keys:" + s)])

    def _run(self, sql: str, args: Any = ()) -> Any:
        try:
            with self._pool.connection() as c:
                cur = c.execute(sql.replace("{s}", f'"{self.schema}"'), args)
                return cur.rowcount, (cur.fetchall() if cur.description else [])
        except self._psycopg.Error as exc:
            raise StoreError(f"database error: {exc}", path=self.path) from exc

    def _insert(self, info: KeyInfo, salt: bytes, hashed: bytes, verifier: bytes) -> None:
        self._run(
            "INSERT INTO {s}.keys (kid, tenant, name, salt, hash, created_at, verifier, user_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (info.kid, info.tenant, info.name, salt, hashed, info.created_at, verifier, info.user),
        )

    def _select(self, tenant: str | None) -> list[tuple[Any, ...]]:
        where, args = ("WHERE tenant = %s", (tenant,)) if tenant is not None else ("", ())
        return list(
            self._run(f"SELECT {_COLS} FROM {{s}}.keys {where} ORDER BY created_at", args)[1]
        )

    def _revoke(self, kid: str, now: float) -> tuple[int, tuple[Any, ...] | None]:
        changed, _ = self._run(
            "UPDATE {s}.keys SET revoked_at = %s WHERE kid = %s AND revoked_at IS NULL", (now, kid)
        )
        rows = self._run(f"SELECT {_COLS} FROM {{s}}.keys WHERE kid = %s", (kid,))[1]
        return changed, (tuple(rows[0]) if rows else None)

    def _lookup(self, kid: str) -> KeyRow | None:
        rows = self._run(
            "SELECT tenant, name, salt, hash, created_at, revoked_at, verifier, user_id"
            " FROM {s}.keys WHERE kid = %s",
            (kid,),
        )[1]
        return tuple(rows[0]) if rows else None

    def _store_verifier(self, kid: str, mac: bytes) -> None:
        self._run(
            "UPDATE {s}.keys SET verifier = %s WHERE kid = %s AND verifier IS NULL", (mac, kid)
        )

    def close(self) -> None:
        self._pool.close()


def open_keystore(data_dir: str | Path, db: str | None = None) -> BaseKeyStore:
    """The key store of a deployment: ``<data_dir>/keys.db``, or with a
    PostgreSQL ``db`` its shared ``keys`` table, which every server on every
    host reads (the pepper: ``$PHASEMEM_KEY_PEPPER``, else ``keys.pepper``)."""
    if db is None:
        return KeyStore(Path(data_dir).expanduser() / "keys.db")
    return PgKeyStore(db, pepper_file=Path(data_dir).expanduser() / "keys.pepper")
