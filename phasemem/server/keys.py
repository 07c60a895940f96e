"""API keys: each belongs to exactly one tenant; only keyed hashes are stored.

The rows live in ``keys.db`` (:class:`KeyStore`) or, for servers sharing a
PostgreSQL database, in its shared ``keys`` table (:mod:`.keys_pg`); the
checks below are the same code for both (:class:`BaseKeyStore`).

A key looks like ``pm_<kid>_<secret>``: ``kid`` (12 hex chars) is a public
lookup id shown by ``phasemem keys list``; ``secret`` is 32 random bytes.

Each row keeps two hashes of the key:

* ``hash = scrypt(secret, salt)``, the source of truth. A 256-bit random
  secret cannot be guessed even from a fast hash, but a slow KDF costs
  nothing to store and keeps a leaked ``keys.db`` useless against any future
  weak-key mistake.
* ``verifier = HMAC-SHA256(pepper, key)``, what requests are checked
  against. The pepper is 32 random bytes in ``keys.pepper`` beside
  ``keys.db`` (mode 0600), never in ``keys.db``, so ``keys.db`` alone still
  gives an attacker nothing to test guesses against.

Why the verifier: before it, every request with a real key id and a wrong
secret ran scrypt (~44 ms of CPU; an unknown id: ~1 ms), so eight such
clients raised a legitimate client's search p50 from 15 to 172 ms on 2 cores
(docs/benchmarks.md), and the time of a refusal told whether the key id
exists. Now every presented
key costs the same work, one indexed row read and one HMAC, whether its id
is known, unknown or revoked, and whether its secret is right or wrong: a
flood of wrong secrets costs microseconds each and says nothing, and a
correct key is accepted by its verifier, so no flood on its id can lock
its holder out (there is no lockout to trigger).

scrypt still runs in exactly one case: a key whose row has no verifier yet
(made before verifiers existed, or ``keys.pepper`` was replaced) is checked
with scrypt once, on its first correct use, and then gets its verifier.
Those scrypt calls are budgeted (``scrypt_budget``: per key id and in all,
token buckets) and a secret that failed is remembered, so they cannot be
used to burn CPU either; over budget, the answer is the same refusal.
Revocation is read from the row on every request, so ``phasemem keys
revoke`` takes effect on the next request in running servers too.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phasemem.errors import AuthError, InvalidInputError, NotFoundError, StoreError
from phasemem.scope import check_scope_value

TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_KEY_RE = re.compile(r"^pm_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_PEPPER_BYTES = 32
log = logging.getLogger("phasemem.server")
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
CREATE TABLE IF NOT EXISTS keys_meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""
_COLS = "kid, tenant, name, created_at, revoked_at, user_id"


def _add_user_column(conn: sqlite3.Connection) -> None:
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


#: Compared against when the key id is unknown or revoked, so that refusal
#: costs the same HMAC and comparison as a wrong secret for a live id.
_NO_VERIFIER = bytes(32)
#: Wrong secrets for keys without a verifier remembered, so a retried one
#: never runs scrypt again (a replaying client, not a guessing one).
_FAILED_KEPT = 4096


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
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)


@dataclass(frozen=True, slots=True)
class ScryptBudget:
    """How many scrypt checks of keys without a verifier may run: ``per_kid``
    at once and one more every ``per_kid_every_s`` seconds for each key id;
    ``total`` at once and ``total_per_s`` more per second for all ids together
    (the default total, 2/s at ~44 ms each, is under a tenth of one core)."""

    per_kid: int = 3
    per_kid_every_s: float = 20.0
    total: int = 6
    total_per_s: float = 2.0


class _Bucket:
    """A token bucket: ``size`` tokens, refilled at ``rate`` per second."""

    __slots__ = ("rate", "size", "stamp", "tokens")

    def __init__(self, size: int, rate: float, now: float) -> None:
        self.size, self.rate = float(size), rate
        self.tokens, self.stamp = float(size), now

    def ready(self, now: float) -> bool:
        self.tokens = min(self.size, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens >= 1.0

    def spend(self) -> None:
        self.tokens -= 1.0


#: the pepper as 64 hex characters (every host of one PostgreSQL deployment
#: must use the same one), or a file of 32 bytes; else ``keys.pepper``
PEPPER_ENV = "PHASEMEM_KEY_PEPPER"
PEPPER_FILE_ENV = "PHASEMEM_KEY_PEPPER_FILE"


def load_pepper(default_file: str | Path | None) -> bytes:
    """The pepper: ``$PHASEMEM_KEY_PEPPER`` (hex), else the file named by
    ``$PHASEMEM_KEY_PEPPER_FILE``, else ``default_file`` (made on first use),
    else (None) a random one for this process only."""
    text = os.environ.get(PEPPER_ENV, "").strip()
    if text:
        try:
            data = bytes.fromhex(text)
        except ValueError:
            data = b""
        if len(data) != _PEPPER_BYTES:
            raise InvalidInputError(f"{PEPPER_ENV} must be {2 * _PEPPER_BYTES} hex characters"
                                    " (e.g. from: openssl rand -hex 32)", field=PEPPER_ENV)  # fmt: skip
        return data
    named = os.environ.get(PEPPER_FILE_ENV, "").strip()
    if named:
        return _read_pepper(Path(named).expanduser())
    if default_file is None:
        return secrets.token_bytes(_PEPPER_BYTES)
    return _pepper_file(Path(default_file))


def _pepper_file(path: Path) -> bytes:
    """The pepper in ``path``, made on first use. Made whole in a temporary
    file and hard-linked into place, so two processes starting together agree
    on one pepper and none reads half a file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(_PEPPER_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: theirs
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return _read_pepper(path)


def _read_pepper(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:  # e.g. made by another OS user than the server's
        raise StoreError(f"cannot read {path.name}: {exc.strerror}", path=str(path)) from exc
    if len(data) != _PEPPER_BYTES:
        raise StoreError(f"{path.name} is not {_PEPPER_BYTES} bytes; remove it to make a new one",
                         path=str(path))  # fmt: skip
    return data


def pepper_id(pepper: bytes) -> bytes:
    """A public fingerprint of the pepper, kept beside the keys to notice a new one."""
    return hashlib.sha256(b"phasemem keys.pepper id\0" + pepper).digest()[:16]


#: one key's row as ``authenticate`` reads it: tenant, name, salt, hash,
#: created_at, revoked_at, verifier, user_id
KeyRow = tuple[Any, ...]


class BaseKeyStore:
    """Keys and their checks over a table of rows that a subclass keeps
    (a file deployment's ``keys.db``: :class:`KeyStore`; a shared PostgreSQL
    schema: :class:`phasemem.server.keys_pg.PgKeyStore`). The hashes, the
    verifier, the scrypt budget and the remembered failures are the same code
    for both, so both bound failed authentication alike."""

    def __init__(self, pepper: bytes, *, scrypt_budget: ScryptBudget | None,
                 clock: Callable[[], float]) -> None:  # fmt: skip
        self._pepper = pepper
        self.budget = scrypt_budget or ScryptBudget()
        self._clock = clock
        self._budget_lock = threading.Lock()
        self._total = _Bucket(self.budget.total, self.budget.total_per_s, clock())
        self._per_kid: dict[str, _Bucket] = {}
        self._failed: OrderedDict[bytes, None] = OrderedDict()  # HMACs scrypt refused
        self.scrypt_runs = 0  # scrypt checks run by authenticate (not create)

    # -- the rows (a subclass keeps them) ----------------------------------------
    def _insert(self, info: KeyInfo, salt: bytes, hashed: bytes, verifier: bytes) -> None:
        raise NotImplementedError

    def _select(self, tenant: str | None) -> list[tuple[Any, ...]]:
        """Rows of ``_COLS``, oldest first."""
        raise NotImplementedError

    def _revoke(self, kid: str, now: float) -> tuple[int, tuple[Any, ...] | None]:
        """(rows changed, the row after) for ``revoked_at = now`` where not revoked."""
        raise NotImplementedError

    def _lookup(self, kid: str) -> KeyRow | None:
        raise NotImplementedError

    def _store_verifier(self, kid: str, mac: bytes) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- the checks -------------------------------------------------------------
    def _verifier(self, presented: str) -> bytes:
        return hmac.new(self._pepper, presented.encode(), hashlib.sha256).digest()

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
        key = f"pm_{kid}_{secret}"
        info = KeyInfo(kid, tenant, name, time.time(), None, user)
        self._insert(info, salt, _hash(secret, salt), self._verifier(key))
        return key, info

    def list(self, tenant: str | None = None) -> list[KeyInfo]:
        return [KeyInfo(*r) for r in self._select(tenant)]

    def revoke(self, kid: str) -> KeyInfo:
        changed, row = self._revoke(kid, time.time())
        if row is None:
            raise NotFoundError(f"no key with id {kid!r}", id=kid)
        if changed == 0 and row[4] is None:  # pragma: no cover - raced with itself
            raise NotFoundError(f"no key with id {kid!r}", id=kid)
        return KeyInfo(*row)

    def authenticate(self, presented: str | None, *, slow: bool = True) -> KeyInfo | None:
        """The key's tenant, or AuthError (one message for every failure, so a
        caller cannot tell a wrong secret from an unknown or revoked key).

        Costs one row read and one HMAC, except for the first correct use of
        a key without a verifier (see the module docstring), which needs
        scrypt: with ``slow=False`` that case returns None instead, so an
        event loop can hand it to a thread."""
        bad = AuthError("missing or invalid API key")
        if not presented:
            raise AuthError("missing API key: send 'Authorization: Bearer <key>'")
        m = _KEY_RE.match(presented)
        if m is None:
            raise bad
        kid, secret = m.groups()
        row = self._lookup(kid)
        mac = self._verifier(presented)
        if row is None or row[5] is not None:  # unknown or revoked
            hmac.compare_digest(mac, _NO_VERIFIER)  # the same work as a live key's check
            raise bad
        tenant, name, salt, stored, created, _, verifier, user = row
        if verifier is not None:
            if hmac.compare_digest(mac, bytes(verifier)):
                return KeyInfo(kid, tenant, name, created, None, user)
            raise bad
        step = self._scrypt_step(kid, mac, run=slow)
        if step == "later":
            return None
        if step == "refuse":
            raise bad
        if not hmac.compare_digest(_hash(secret, bytes(salt)), bytes(stored)):
            with self._budget_lock:
                self._failed[mac] = None
                if len(self._failed) > _FAILED_KEPT:
                    self._failed.popitem(last=False)
            raise bad
        try:  # from now on this key is checked by its verifier
            self._store_verifier(kid, mac)
        except Exception:  # e.g. a read-only keys.db: the key is still right
            log.warning("could not store the verifier of key %s", kid, exc_info=True)
        return KeyInfo(kid, tenant, name, created, None, user)

    def _scrypt_step(self, kid: str, mac: bytes, *, run: bool) -> str:
        """For a key without a verifier: "refuse" a secret that failed before
        or one over budget (a token in the key id's bucket and one in the
        total bucket), else "run" scrypt, spending both tokens, or, when not
        asked to ``run``, "later" (the caller runs it off its event loop)."""
        with self._budget_lock:
            if mac in self._failed:
                self._failed.move_to_end(mac)
                return "refuse"
            now = self._clock()
            bucket = self._per_kid.get(kid)
            if bucket is None:
                b = self.budget
                bucket = self._per_kid[kid] = _Bucket(b.per_kid, 1.0 / b.per_kid_every_s, now)
            if not (bucket.ready(now) and self._total.ready(now)):
                return "refuse"
            if not run:
                return "later"
            bucket.spend()
            self._total.spend()
            self.scrypt_runs += 1
            return "run"


class KeyStore(BaseKeyStore):
    """The keys database of a file deployment (``keys.db`` in the server's
    data directory, the pepper in ``keys.pepper`` beside it unless
    ``$PHASEMEM_KEY_PEPPER`` or ``$PHASEMEM_KEY_PEPPER_FILE`` gives one)."""

    def __init__(
        self,
        path: str | Path,
        *,
        scrypt_budget: ScryptBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = str(path)
        memory = self.path == ":memory:"
        if not memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        where = None if memory else Path(self.path).with_name(Path(self.path).stem + ".pepper")
        super().__init__(load_pepper(where), scrypt_budget=scrypt_budget, clock=clock)
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)  # fmt: skip
        self._lock = threading.Lock()
        with self._lock:
            self._conn.execute("PRAGMA busy_timeout = 30000")
            if not memory:
                self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.executescript(_SCHEMA)
            _add_user_column(self._conn)
            self._migrate()

    def _migrate(self) -> None:
        """Add the ``verifier`` column to an older ``keys.db``, and drop every
        verifier made with another pepper (``keys.pepper`` lost or replaced):
        those keys are checked with scrypt once more and get a new one."""
        cols = {r[1] for r in self._conn.execute("PRAGMA table_info(keys)")}
        if "verifier" not in cols:
            try:
                self._conn.execute("ALTER TABLE keys ADD COLUMN verifier BLOB")
            except sqlite3.OperationalError as exc:  # another process added it meanwhile
                if "duplicate column" not in str(exc):
                    raise
        pid = pepper_id(self._pepper)
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            row = self._conn.execute(
                "SELECT value FROM keys_meta WHERE name = 'pepper_id'"
            ).fetchone()
            if row is None or bytes(row[0]) != pid:
                self._conn.execute("UPDATE keys SET verifier = NULL WHERE verifier IS NOT NULL")
                self._conn.execute("INSERT OR REPLACE INTO keys_meta VALUES ('pepper_id', ?)",
                                   (pid,))  # fmt: skip
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def _insert(self, info: KeyInfo, salt: bytes, hashed: bytes, verifier: bytes) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO keys (kid, tenant, name, salt, hash, created_at, verifier, user_id)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (info.kid, info.tenant, info.name, salt, hashed, info.created_at, verifier,
                 info.user),
            )  # fmt: skip

    def _select(self, tenant: str | None) -> list[tuple[Any, ...]]:
        sql = f"SELECT {_COLS} FROM keys"
        args: tuple[Any, ...] = ()
        if tenant is not None:
            sql += " WHERE tenant = ?"
            args = (tenant,)
        with self._lock:
            return self._conn.execute(sql + " ORDER BY created_at", args).fetchall()

    def _revoke(self, kid: str, now: float) -> tuple[int, tuple[Any, ...] | None]:
        with self._lock:
            cur = self._conn.execute(
                "UPDATE keys SET revoked_at = ? WHERE kid = ? AND revoked_at IS NULL", (now, kid)
            )
            row = self._conn.execute(f"SELECT {_COLS} FROM keys WHERE kid = ?", (kid,)).fetchone()
        return cur.rowcount, row

    def _lookup(self, kid: str) -> KeyRow | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT tenant, name, salt, hash, created_at, revoked_at, verifier, user_id"
                " FROM keys WHERE kid = ?",
                (kid,),
            ).fetchone()
        return row

    def _store_verifier(self, kid: str, mac: bytes) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE keys SET verifier = ? WHERE kid = ? AND verifier IS NULL", (mac, kid)
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
