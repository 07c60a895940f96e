"""REST search under concurrent clients: the real server, real HTTP, loopback only.

1. **fill**: one tenant gets ``n`` memories written straight into its file
   (``<workdir>/tenants/load.db``, the layout the server uses) in sessions of
   100 turns, with vectors from the chosen embedder (default: MiniLM, the
   honest number; see ``fill`` for how embedding is shared). No facts are
   extracted (that is the add path's cost, not search's); the result says
   so. A kept ``workdir`` is reused when it already holds ``n`` memories.
2. **serve**: ``phasemem serve`` starts as its own process on a free
   127.0.0.1 port with a fresh key for that tenant.
3. **load**: ``clients`` concurrent keep-alive connections (one asyncio
   process) send ``POST /v1/search`` (limit 10) with queries drawn from 500
   distinct ones, until ``seconds`` pass or ``max_requests`` are sent,
   whichever is first: a closed loop (next request when the answer is in),
   and with ``rate`` also an open loop at that many requests/s in total.
   Latency is measured at the client (request to parsed JSON).
4. **writer** (``writer_rate``): the closed loop runs again for twice
   ``seconds``, in windows of ``writer_window`` seconds that alternate
   without and with one more connection adding memories to the same user
   through ``POST /v1/memories`` at that many adds/s (one new turn each, on a
   schedule), so the searches pay for whatever a write costs them (syncing
   the read handles, the write lock, the interpreter lock, the CPU).
   Alternating windows a few seconds apart see the same neighbours on a
   shared machine, so the difference between the two is the writer's.

Clients and server share the machine's cores; the client's own CPU per
request is reported beside the server's.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from phasemem.research.bench.stats import machine, percentiles

TENANT = "load"
USER = "load-user"
SESSION = 100


def _split(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_NAMES = _split("Maya Ines Tomas Aiko Ravi Lena Omar Sofia Jonas Priya Mateo Hana Felix Amara Noah Clara "
          "Yusuf Elif Marco Nadia Theo Zara Kenji Lucia Ivan Mira Samir Greta Diego Anya")  # fmt: skip
_DID = _split("went hiking near|signed up for a pottery class in|found a great ramen place in|"
        "started a new job in|took the train to|adopted a rescue dog from|ran a half marathon in|"
        "visited my grandmother in|lost my keys somewhere in|bought a used bike in|"
        "planned a surprise party in|watched the sunset over|got food poisoning in|"
        "booked flights to|met an old friend in|volunteered at a shelter in|moved apartments in|"
        "tried rock climbing in|learned to make bread in|started learning the cello in", "|")  # fmt: skip
_PLACES = _split("Lisbon Porto Kyoto Oslo Nairobi Lima Montreal Hanoi Tbilisi Seville Bergen Dublin "
           "Valparaiso Krakow Cusco Tallinn Marrakesh Adelaide Ghent Bologna Izmir Leipzig")  # fmt: skip
_WHEN = _split("last weekend|yesterday|this morning|two weeks ago|in March|over the holidays|"
         "on my birthday|after work|before the storm|during the festival", "|")  # fmt: skip
_FEEL = _split("and it was wonderful|but it rained the whole time|with my sister|and I want to go back|"
         "which was exhausting|and met someone interesting|and took lots of photos|"
         "and it cost more than expected|with the kids|and I am still thinking about it", "|")  # fmt: skip


def synthetic_turns(n: int, seed: int = 7, *, with_note: bool = True) -> list[str]:
    """``n`` distinct chat-like sentences (people, places, times, feelings)."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        t = (f"{rng.choice(_NAMES)}: I {rng.choice(_DID)} {rng.choice(_PLACES)} {rng.choice(_WHEN)} "
             f"{rng.choice(_FEEL)}" + (f" (note {len(out)})." if with_note else "."))  # fmt: skip
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def queries(k: int = 500, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    forms = ("When did {n} go to {p}?", "What did {n} do in {p}?", "Who {d} {p}?",
             "Did anyone {d} {p} {w}?", "{n} {p} trip", "what happened {w} in {p}")  # fmt: skip
    out: set[str] = set()
    while len(out) < k:
        out.add(rng.choice(forms).format(n=rng.choice(_NAMES), p=rng.choice(_PLACES),
                                         d=rng.choice(_DID), w=rng.choice(_WHEN)))  # fmt: skip
    return sorted(out)


def fill(db: Path | str, n: int, embedder: str | None, progress: Callable[[str], None],
         reuse: int = 5) -> dict[str, Any]:  # fmt: skip
    """Write ``n`` episodes through ``Memory.import_`` with vectors from the real embedder.

    Why not ``add``: on a shared 2-core machine MiniLM embeds 15-150 turns/s,
    so 100K adds take 11 min to 2 h. Instead ``n / reuse`` distinct sentences
    are embedded once and each is stored ``reuse`` times in different sessions
    and times, its text made unique by a "(note N)" suffix (the vector is that
    of the sentence without it). Every stored vector is a real embedding of
    its text; only the previous-turn context ``add`` mixes in is missing."""
    import base64
    import json
    import uuid

    from phasemem.embed.quant import quantize
    from phasemem.ingest import Draft, content_hash
    from phasemem.memory import Memory
    from phasemem.models import Episode

    mem = Memory(db, embedder=embedder, extractor=None)
    try:
        have = mem.store.count()
        if have >= n:
            return {"filled": 0, "existing": have, "distinct_embedded": None, "fill_per_s": None}
        if have:
            raise RuntimeError(f"{db} holds {have} memories, fewer than {n}: use a fresh workdir")
        t0 = time.perf_counter()
        base = synthetic_turns(max(1, -(-n // reuse)), with_note=False)
        codes_all, scales_all = [], []
        for i in range(0, len(base), 512):
            codes, scales = quantize(mem.embedder.embed(base[i : i + 512]))
            codes_all.append(codes)
            scales_all.append(scales)
            progress(f"embedded {min(i + 512, len(base))}/{len(base)} distinct sentences")
        codes = np.concatenate(codes_all)
        scales = np.concatenate(scales_all)
        embed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        fd, tmp = tempfile.mkstemp(suffix=".jsonl")
        os.close(fd)
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(json.dumps({"kind": "header", "format": "phasemem-export", "version": 1,
                                     "embedder": mem.embedder.name, "dim": mem.embedder.dim}) + "\n")  # fmt: skip
                for k in range(n):
                    j = k % len(base)
                    name, said = base[j].split(": ", 1)
                    text = f"{said[:-1]} (note {k})."
                    at = 1_600_000_000.0 + k * 3600.0
                    d = Draft(text, "user", name, at, {})
                    ep = Episode(id=str(uuid.uuid4()), text=text, user_id=USER, agent_id=None,
                                 session_id=f"s{k // SESSION}", role="user", speaker=name,
                                 occurred_at=at, recorded_at=at, updated_at=None, source="load",
                                 metadata={}, content_hash=content_hash(d))  # fmt: skip
                    fh.write(json.dumps({
                        "kind": "episode", **ep.record(), "vscale": float(scales[j]),
                        "vector": base64.b64encode(codes[j].tobytes()).decode(),
                    }) + "\n")  # fmt: skip
            mem.import_(tmp, progress=None)
        finally:
            os.unlink(tmp)
        build = getattr(mem.store, "build_dense_index", None)
        if (
            build is not None
        ):  # PostgreSQL: the HNSW index after the bulk load, as an operator would
            build()
        return {"filled": n, "existing": 0, "distinct_embedded": len(base), "reuse": reuse,
                "embed_per_s": round(len(base) / embed_s, 1),
                "import_per_s": round(n / (time.perf_counter() - t0), 1)}  # fmt: skip
    finally:
        mem.close()


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its child processes.

    Why: on a shared machine latency says how busy the neighbours are; the
    server's CPU time per request does not, and it bounds the throughput two
    idle cores could give."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(
    workdir: Path,
    embedder: str | None,
    readers: int,
    workers: int,
    lexical_index: bool = True,
    search_threads: int = 1,
    fast_search: bool = True,
    facts: bool = False,
    db: str | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    args = [sys.executable, "-c", "from phasemem.cli import main; main()"]
    if embedder:
        args += ["--embedder", embedder]
    args += [
        "serve",
        "--data-dir",
        str(workdir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--facts" if facts else "--no-facts",
        "--readers",
        str(readers),
        "--workers",
        str(workers),
        "--lexical-index" if lexical_index else "--no-lexical-index",
        "--search-threads",
        str(search_threads),
    ]
    if not fast_search:
        args.append("--no-fast-search")
    if db:
        args += ["--db", db]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


def _wait_indexes(url: str, timeout: float = 300, settled: int = 12) -> None:
    """Until ``settled`` health checks in a row, each on a new connection (so
    any worker may answer), report no index still building: steady state."""
    import json
    import urllib.request

    deadline = time.time() + timeout
    calm = 0
    while calm < settled and time.time() < deadline:
        with urllib.request.urlopen(f"{url}/v1/healthz", timeout=10) as r:  # noqa: S310 - loopback
            building = json.loads(r.read()).get("indexes_building", 0)
        calm = calm + 1 if building == 0 else 0
        time.sleep(0.05 if building == 0 else 0.5)


def _wait(url: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            said = proc.stderr.read().decode()[-2000:] if proc.stderr is not None else ""
            raise RuntimeError("server exited: " + said)
        try:
            if httpx.get(url + "/v1/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("server did not start")


def _request(host: str, key: str, body: bytes, path: str = "/v1/search") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _response(reader: Any) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response (Content-Length or chunked)."""
    status = int((await reader.readline()).split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    parts = []
    while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
        parts.append(await reader.readexactly(size))
        await reader.readline()
    await reader.readline()
    return status, b"".join(parts)


async def _connection(url: str, key: str, seed: int, stop_at: float, quota: int,
                      interval: float | None, t0: float) -> tuple[list[float], list[str], int | None]:  # fmt: skip
    """One client: a keep-alive connection in a closed loop, or (``interval``)
    sending on a fixed schedule, latency then counted from the *scheduled* send
    time so a slow server cannot hide its queue (no coordinated omission)."""
    import asyncio
    import json

    host_port = url.split("//", 1)[1]
    host, port = host_port.rsplit(":", 1)
    qs = queries()
    rng = random.Random(seed)
    lat: list[float] = []
    errors: list[str] = []
    reader, writer = await asyncio.open_connection(host, int(port))
    # which server process holds this keep-alive connection (its split across workers)
    writer.write(f"GET /v1/healthz HTTP/1.1\r\nHost: {host_port}\r\n\r\n".encode())
    await writer.drain()
    try:
        pid: int | None = int(json.loads((await _response(reader))[1])["pid"])
    except (KeyError, ValueError, TypeError):
        pid = None
    k = 0
    try:
        while time.time() < stop_at and len(lat) + len(errors) < quota:
            body = json.dumps({"query": rng.choice(qs), "user_id": USER, "limit": 10}).encode()
            if interval is None:
                start = time.perf_counter()
            else:
                start = t0 + (k + rng.random()) * interval  # one send per slot, jittered
                k += 1
                await asyncio.sleep(max(0.0, start - time.perf_counter()))
            writer.write(_request(host_port, key, body))
            try:
                await writer.drain()
                status, payload = await asyncio.wait_for(_response(reader), 30)
                ok = status == 200 and len(json.loads(payload)["results"]) > 0
                why = "" if ok else payload[:200].decode("utf-8", "replace")
            except (TimeoutError, OSError, EOFError, ValueError, KeyError, IndexError) as exc:
                ok, why = False, repr(exc)[:200]
            if ok:
                lat.append((time.perf_counter() - start) * 1000)
            else:
                errors.append(why)
                if not writer.is_closing():
                    writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
    finally:
        writer.close()
    return lat, errors, pid


async def _writer(url: str, key: str, rate: float, stop_at: float, facts: bool,
                  seed: int = 5) -> dict[str, Any]:  # fmt: skip
    """One connection adding one new turn every ``1 / rate`` s until ``stop_at``.

    On a fixed schedule (open loop), so a slow add does not slow the writer
    down and hide its cost from the searches. Each turn is new text (no
    NOOP) for the searched user, with a time and a session like a chat."""
    import asyncio
    import json

    host_port = url.split("//", 1)[1]
    host, port = host_port.rsplit(":", 1)
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection(host, int(port))
    lat: list[float] = []
    errors: list[str] = []
    t0 = time.perf_counter()
    k = 0
    try:
        while time.time() < stop_at:
            start = t0 + k / rate
            await asyncio.sleep(max(0.0, start - time.perf_counter()))
            if time.time() >= stop_at:
                break
            name, said = synthetic_turns(1, seed=rng.randrange(1 << 30), with_note=False)[0].split(
                ": ", 1
            )
            msg = {"role": "user", "name": name, "content": f"{said[:-1]} (write {seed}-{k})."}
            body = json.dumps({"user_id": USER, "session_id": f"w{seed}-{k // SESSION}",
                               "occurred_at": 1_700_000_000.0 + k * 60.0, "messages": [msg],
                               "source": "load-writer"}).encode()  # fmt: skip
            k += 1
            writer.write(_request(host_port, key, body, "/v1/memories"))
            try:
                await writer.drain()
                status, payload = await asyncio.wait_for(_response(reader), 60)
                ok = status == 201
                why = "" if ok else payload[:200].decode("utf-8", "replace")
            except (TimeoutError, OSError, EOFError, ValueError) as exc:
                ok, why = False, repr(exc)[:200]
            if ok:
                lat.append((time.perf_counter() - start) * 1000)
            else:
                errors.append(why)
                if not writer.is_closing():
                    writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
    finally:
        writer.close()
    wall = time.perf_counter() - t0
    return {"adds": len(lat), "errors": len(errors), "error_samples": errors[:3],
            "offered_per_s": rate, "adds_per_s": round(len(lat) / max(wall, 1e-9), 2),
            "add_ms": percentiles(lat), "facts_extraction": facts, "samples_ms": lat}  # fmt: skip


def hammer(url: str | list[str], key: str, clients: int, seconds: float, max_requests: int,
           rate: float | None = None, writer_rate: float | None = None,
           facts: bool = False, keep_samples: bool = False,
           writer_seed: int = 5) -> dict[str, Any]:  # fmt: skip
    """``clients`` concurrent keep-alive connections from one asyncio process.

    Closed loop by default (each client sends its next request when the last
    answer arrives). With ``rate`` (requests/s in total) each client sends on
    its own fixed schedule of ``rate / clients`` per second: an open loop, as
    agents that think between calls. Bounded by both time and request count.
    Several ``url``s (servers): client ``i`` talks to ``url[i % len(url)]``.
    With ``writer_rate`` one more connection adds memories meanwhile
    (:func:`_writer`); its numbers come back as ``writes``. ``keep_samples``:
    every latency too (``samples_ms``). Writers with other ``writer_seed``s
    write other texts (the same text again would be a NOOP).

    Why one asyncio process and not a process per client: the client then
    costs ~0.1 ms of CPU per request instead of ~1 ms, so on a 2-core machine
    the server keeps the cores it is being measured on."""
    import asyncio

    urls = [url] if isinstance(url, str) else list(url)
    assert all(u.startswith("http://127.0.0.1:") for u in urls), "load only ever targets loopback"
    quota = -(-max_requests // clients)
    interval = clients / rate if rate else None

    writes: dict[str, Any] = {}

    async def main() -> list[tuple[list[float], list[str], int | None]]:
        t0 = time.perf_counter()
        stop_at = time.time() + seconds
        searches = asyncio.gather(
            *(_connection(urls[i % len(urls)], key, i, stop_at, quota, interval, t0)
              for i in range(clients))
        )  # fmt: skip
        if writer_rate:  # through the first server; the searches go to all of them
            done, w = await asyncio.gather(
                searches, _writer(urls[0], key, writer_rate, stop_at, facts, writer_seed)
            )
            writes.update(w)
            return done
        return await searches

    t0 = time.perf_counter()
    c0 = time.process_time()
    parts = asyncio.run(main())
    wall = time.perf_counter() - t0
    lat = [x for p in parts for x in p[0]]
    errors = [x for p in parts for x in p[1]]
    per_worker: dict[int, int] = {}  # pid -> connections (unknown pids not counted)
    for p in parts:
        if p[2] is not None:
            per_worker[p[2]] = per_worker.get(p[2], 0) + 1
    done = max(1, len(lat) + len(errors))
    return {"search_ms": percentiles(lat), "requests": len(lat), "errors": len(errors),
            "error_samples": errors[:3], "wall_s": round(wall, 2),
            "requests_per_s": round(len(lat) / wall, 1), "mode": "open" if rate else "closed",
            "offered_rate": rate,
            "connections_per_worker": sorted(per_worker.values(), reverse=True),
            "client_cpu_ms_per_request": round((time.process_time() - c0) * 1000 / done, 3),
            **({"writes": writes} if writer_rate else {}),
            **({"samples_ms": lat} if keep_samples else {})}  # fmt: skip


def writer_comparison(url: str | list[str], key: str, pid: int | list[int], clients: int, seconds: float,
                      writer_rate: float, facts: bool = False, window: float = 5.0) -> dict[str, Any]:  # fmt: skip
    """The closed loop in alternating windows of ``window`` s, without a writer
    and with one (:func:`_writer` at ``writer_rate`` adds/s), ``seconds`` in all.

    Also the server's CPU per search in each kind of window and what the
    writes cost it beyond the searches (``server_cpu_ms_per_add``: the CPU of
    the writer windows less their searches at the CPU a search costs without
    a writer, per add), a number the neighbours on a shared machine move far
    less than latency."""
    lat: dict[bool, list[float]] = {False: [], True: []}
    wall = {False: 0.0, True: 0.0}
    cpu = {False: 0.0, True: 0.0}
    errors = {False: 0, True: 0}
    adds: list[float] = []
    add_errors = 0
    windows = max(2, round(seconds / window))
    pids = [pid] if isinstance(pid, int) else pid
    for i in range(windows):
        on = i % 2 == 1
        c0 = sum(_cpu_s(p) for p in pids)
        r = hammer(url, key, clients, window, 10**9, writer_rate=writer_rate if on else None,
                   facts=facts, keep_samples=True, writer_seed=1000 + i)  # fmt: skip
        cpu[on] += sum(_cpu_s(p) for p in pids) - c0
        lat[on] += r["samples_ms"]
        wall[on] += r["wall_s"]
        errors[on] += r["errors"]
        if on:
            adds += r["writes"]["samples_ms"]
            add_errors += r["writes"]["errors"]

    def side(on: bool) -> dict[str, Any]:
        return {"search_ms": percentiles(lat[on]), "requests": len(lat[on]), "errors": errors[on],
                "requests_per_s": round(len(lat[on]) / max(wall[on], 1e-9), 1),
                "server_cpu_ms_per_search": round(cpu[on] * 1000 / max(1, len(lat[on])), 2)}  # fmt: skip

    without, with_ = side(False), side(True)
    per_search = cpu[False] / max(1, len(lat[False]))
    per_add = (cpu[True] - len(lat[True]) * per_search) / max(1, len(adds))
    return {"window_s": window, "windows": windows, "writer_rate": writer_rate,
            "facts_extraction": facts, "without_writer": without, "with_writer": with_,
            "writes": {"adds": len(adds), "errors": add_errors, "add_ms": percentiles(adds),
                       "adds_per_s": round(len(adds) / max(wall[True], 1e-9), 2)},
            "server_cpu_ms_per_add": round(per_add * 1000, 1)}  # fmt: skip


def visibility(write_url: str, read_url: str, key: str, samples: int = 30,
               timeout: float = 5.0) -> dict[str, Any]:  # fmt: skip
    """How soon a write through one server is found by a search through another.

    Each sample adds one memory holding a word never seen before (through
    ``write_url``), then searches for that word through ``read_url`` until a
    hit holds it, ``timeout`` at most. ``lag_ms``: from the add's answer to the
    answer of the first search that found it (so one search's time is the
    floor); ``searches``: how many it took (1: the first search after the
    write saw it)."""
    import secrets

    import httpx

    headers = {"Authorization": f"Bearer {key}"}
    lags: list[float] = []
    polls: list[int] = []
    missed = 0
    with httpx.Client(base_url=write_url, headers=headers, timeout=30) as w, \
            httpx.Client(base_url=read_url, headers=headers, timeout=30) as r:  # fmt: skip
        for _ in range(samples):
            word = "vis" + secrets.token_hex(5)
            got = w.post("/v1/memories", json={"messages": f"Checkpoint {word} passed.",
                                               "user_id": "visibility"})  # fmt: skip
            got.raise_for_status()
            acked = time.perf_counter()
            n = 0
            while True:
                n += 1
                hits = r.post("/v1/search", json={"query": word, "user_id": "visibility",
                                                  "limit": 3}).json()["results"]  # fmt: skip
                if any(word in h["memory"] for h in hits):
                    lags.append((time.perf_counter() - acked) * 1000)
                    polls.append(n)
                    break
                if time.perf_counter() - acked > timeout:
                    missed += 1
                    break
    return {"samples": samples, "missed": missed, "timeout_s": timeout,
            "lag_ms": percentiles(lags), "lag_max_ms": round(max(lags, default=0.0), 1),
            "searches": {"max": max(polls, default=0), "first_try": sum(p == 1 for p in polls)}}  # fmt: skip


def _drop_schema(db: str, schema: str) -> None:
    import psycopg

    from phasemem.store.postgres import parse_url

    with psycopg.connect(parse_url(db)[0], autocommit=True) as c:
        c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run(n: int = 100_000, clients: int = 8, seconds: float = 30.0, max_requests: int = 20_000, *,
        workdir: str | None = None, embedder: str | None = None, readers: int = 2, workers: int = 1,
        rate: float | None = None, lexical_index: bool = True, search_threads: int = 1,
        fast_search: bool = True, writer_rate: float | None = None, facts: bool = False,
        writer_window: float = 5.0, db: str | None = None, servers: int = 1,
        visibility_samples: int = 0,
        progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:  # fmt: skip
    """The load run (see the module docstring). ``facts``: the server extracts
    facts on add (only the writer's adds pay for it; the fill never does).
    ``db``: a PostgreSQL URL the servers share (``serve --db``; the tenant is
    ``load<n>``, its schema kept between runs like a kept workdir, the keys in
    a schema of this run's own, dropped at the end); ``servers``: how many
    ``phasemem serve`` processes, each with ``workers``, the clients spread
    over them. ``visibility_samples`` > 0 with two or more servers: also
    :func:`visibility` from the first server to the second."""
    import secrets

    from phasemem.server.keys_pg import open_keystore
    from phasemem.server.tenants import tenant_url

    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="phasemem-load-")
        workdir = tmp.name
    wd = Path(workdir)
    (wd / "tenants").mkdir(parents=True, exist_ok=True)
    tenant = TENANT
    keys_schema = None
    if db:
        tenant = f"{TENANT}{n}"
        keys_schema = f"load_keys_{os.getpid()}_{secrets.token_hex(3)}"
        db = db + ("&" if "?" in db else "?") + f"keys_schema={keys_schema}"
    try:
        where = tenant_url(db, tenant) if db else wd / "tenants" / f"{TENANT}.db"
        info = fill(where, n, embedder, progress)
        ks = open_keystore(wd, db)
        key = ks.create(tenant, "bench-load")[0]
        ks.close()
        procs = [_serve(wd, embedder, readers, workers, lexical_index, search_threads,
                        fast_search, facts, db) for _ in range(servers)]  # fmt: skip
        urls = [u for _, u in procs]
        pids = [p.pid for p, _ in procs]
        try:
            for p, u in procs:
                _wait(u, p)
            progress(f"servers up at {', '.join(urls)}; warming up")
            hammer(urls, key, 1, 3.0, 20)
            hammer(urls, key, clients, 3.0, clients * 5)  # opens the tenant in every worker
            for u in urls:
                _wait_indexes(u)
            single = hammer(urls[0], key, 1, min(10.0, seconds), 200)
            progress(f"1 client: p50 {single['search_ms']['p50']:.1f} ms; now {clients} clients")
            cpu0 = sum(_cpu_s(p) for p in pids)
            res = hammer(urls, key, clients, seconds, max_requests)
            cpu_ms = (
                (sum(_cpu_s(p) for p in pids) - cpu0)
                * 1000
                / max(1, res["requests"] + res["errors"])
            )
            if rate:
                progress(
                    f"closed loop: p50 {res['search_ms']['p50']:.1f} ms; now {rate:g} req/s open loop"
                )
                res["open_loop"] = hammer(urls, key, clients, seconds, max_requests, rate=rate)
            if writer_rate:
                progress(f"closed loop: p50 {res['search_ms']['p50']:.1f} ms; now {2 * seconds:g} s "
                         f"in windows without and with a writer at {writer_rate:g} adds/s")  # fmt: skip
                res["writer"] = writer_comparison(urls, key, pids, clients, 2 * seconds,
                                                  writer_rate, facts, writer_window)  # fmt: skip
            if visibility_samples and len(urls) > 1:
                progress(f"visibility: {visibility_samples} writes through server 1, searched on 2")
                res["visibility"] = visibility(urls[0], urls[1], key, visibility_samples)
            cores = os.cpu_count() or 1
            res["server_cpu_ms_per_request"] = round(cpu_ms, 2)
            # With the cores to itself the server could do cores/cpu per second;
            # a closed loop of `clients` then waits about clients/throughput.
            res["idle_machine_estimate"] = {
                "requests_per_s": round(cores * 1000 / cpu_ms, 1),
                "p50_ms_at_saturation": round(clients * cpu_ms / cores, 1),
            }
        finally:
            for proc, _ in procs:
                proc.terminate()
            for proc, _ in procs:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        res.update({
            "n": n, "clients": clients, "seconds": seconds, "readers": readers, "workers": workers, "lexical_index": lexical_index, "search_threads": search_threads, "fast_search": fast_search, "embedder": embedder or "minilm-l6-int8",
            "facts_extraction": facts, "writer_rate": writer_rate, "single_client": single, "fill": info,
            "backend": "postgresql" if db else "sqlite", "servers": servers,
            "machine": machine(), "load_avg_1m": round(os.getloadavg()[0], 2),
        })  # fmt: skip
        return res
    finally:
        if db and keys_schema:
            _drop_schema(db, keys_schema)
        if tmp is not None:
            tmp.cleanup()
