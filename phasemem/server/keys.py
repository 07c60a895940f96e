"""API keys: each belongs to exactly one tenant; only salted hashes are stored.

A key looks like ``pm_<kid>_<secret>``: ``kid`` (12 hex chars) is a public
lookup id shown by ``phasemem keys list``; ``secret`` is 32 random bytes.
The store keeps ``scrypt(secret, salt)`` and compares in constant time.

Why scrypt *and* a cache: a 256-bit random secret cannot be guessed offline
even from a fast hash, but a slow KDF costs nothing extra to store and
protects a leaked ``keys.db`` against any future weak-key mistake. Running
scrypt (~40 ms) on every request would dominate search latency, so a key that
verified once is remembered in process memory as a SHA-256 of the full key;
the row (tenant, revoked) is still read on every request, so a revocation
from the CLI takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phasemem.errors import AuthError, InvalidInputError, NotFoundError
from phasemem.store.filters import check_scope_value

TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KEY_RE = re.compile(r"^pm_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    kid        TEXT PRIMARY KEY,
    tenant     TEXT NOT NULL,
    name       TEXT,
    salt       BLOB NOT NULL,
    hash       BLOB NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS keys_tenant ON keys (tenant);
"""
_COLS = "kid, tenant, name, created_at, revoked_at, user_id"


def _migrate(conn: sqlite3.Connection) -> None:
    """Add ``user_id`` (the user an MCP key acts as; NULL: the server's
    default) to a keys.db written before it existed. Another process may add
    it at the same moment, so a duplicate column is fine."""
    if "user_id" in {r[1] for r in conn.execute("PRAGMA table_info(keys)")}:
        return
    try:
        conn.execute("ALTER TABLE keys ADD COLUMN user_id TEXT")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):
            raise


def check_tenant(tenant: Any) -> str:
    """Tenant names become file names, so they are a strict slug."""
    if not isinstance(tenant, str) or not TENANT_RE.match(tenant):
        raise InvalidInputError(
            "tenant must be 1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit",
            field="tenant",
        )
    return tenant


@dataclass(frozen=True, slots=True)
class KeyInfo:
    kid: str
    tenant: str
    name: str | None
    created_at: float
    revoked_at: float | None
    #: the user this key acts as over MCP (None: the server's ``--user``)
    user: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kid": self.kid, "tenant": self.tenant, "name": self.name,
                "created_at": self.created_at, "revoked_at": self.revoked_at, "user": self.user}  # fmt: skip


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)  # type: ignore[arg-type]


class KeyStore:
    """The keys database (``keys.db`` in the server's data directory)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)  # fmt: skip
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA busy_timeout = 30000")
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.executescript(_SCHEMA)
            _migrate(self._conn)
        self._verified: dict[str, bytes] = {}  # kid -> sha256(full key) that passed scrypt

    def create(
        self, tenant: str, name: str | None = None, *, user: str | None = None
    ) -> tuple[str, KeyInfo]:
        """Make a key; the full key is returned once and never stored.
        ``user``: the user the key acts as over MCP (a scope id)."""
        check_tenant(tenant)
        check_scope_value("user", user)
        if name is not None and (not isinstance(name, str) or len(name) > 200):
            raise InvalidInputError("name must be a string of at most 200 characters", field="name")
        kid = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        now = time.time()
        with self._lock:
            self._conn.execute(
                "INSERT INTO keys (kid, tenant, name, salt, hash, created_at, user_id)"
                " VALUES (?,?,?,?,?,?,?)",
                (kid, tenant, name, salt, _hash(secret, salt), now, user),
            )
        return f"pm_{kid}_{secret}", KeyInfo(kid, tenant, name, now, None, user)

    def list(self, tenant: str | None = None) -> list[KeyInfo]:
        sql = f"SELECT {_COLS} FROM keys"
        args: tuple[Any, ...] = ()
        if tenant is not None:
            sql += " WHERE tenant = ?"
            args = (tenant,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY created_at", args).fetchall()
        return [KeyInfo(*r) for r in rows]

    def revoke(self, kid: str) -> KeyInfo:
        with self._lock:
            cur = self._conn.execute(
                "UPDATE keys SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL",
                (time.time(), kid),
            )
            row = self._conn.execute(f"SELECT {_COLS} FROM keys WHERE kid = ?", (kid,)).fetchone()
        if row is None:
            raise NotFoundError(f"no key with id {kid!r}", id=kid)
        if cur.rowcount == 0 and row[4] is None:  # pragma: no cover - raced with itself
            raise NotFoundError(f"no key with id {kid!r}", id=kid)
        self._verified.pop(kid, None)
        return KeyInfo(*row)

    def authenticate(self, presented: str | None, *, slow: bool = True) -> KeyInfo | None:
        """The key's tenant, or AuthError (one message for every failure, so a
        caller cannot tell a wrong secret from an unknown or revoked key).

        With ``slow=False`` a key not yet verified in this process returns
        None instead of running scrypt (so an event loop can hand it to a
        thread)."""
        bad = AuthError("missing or invalid API key")
        if not presented:
            raise AuthError("missing API key: send 'Authorization: Bearer <key>'")
        m = _KEY_RE.match(presented)
        if m is None:
            raise bad
        kid, secret = m.groups()
        with self._lock:
            row = self._conn.execute(
                "SELECT tenant, name, salt, hash, created_at, revoked_at, user_id FROM keys WHERE kid = ?",
                (kid,),
            ).fetchone()
        if row is None or row[5] is not None:
            raise bad
        tenant, name, salt, stored, created, _, user = row
        digest = hashlib.sha256(presented.encode()).digest()
        known = self._verified.get(kid)
        if known is None or not hmac.compare_digest(known, digest):
            if not slow:
                return None
            if not hmac.compare_digest(_hash(secret, salt), stored):
                raise bad
            self._verified[kid] = digest
        return KeyInfo(kid, tenant, name, created, None, user)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
