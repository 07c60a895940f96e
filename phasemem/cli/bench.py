"""``phasemem bench``: the benchmarks, with tables and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from phasemem.cli.common import Ctx, console, pass_ctx
from phasemem.cli.serve import _embedder, _guard, embedder_option, facts_option, lexical_option
from phasemem.retrieval.config import RetrievalConfig


@click.group()
def bench() -> None:
    """Run benchmarks (LoCoMo recall, scale, temporal facts, memory poisoning)."""


def _ks(value: str) -> list[int]:
    try:
        ks = sorted({int(x) for x in value.split(",") if x.strip()})
    except ValueError:
        raise click.BadParameter("use comma-separated integers, e.g. 5,10,25") from None
    if not ks or min(ks) < 1:
        raise click.BadParameter("k must be positive")
    return ks


@bench.command()
@click.option(
    "--data",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="LoCoMo-format JSON.",
)
@click.option("--k", "k", default="5,10,25", show_default=True, help="Cut-offs, comma-separated.")
@click.option(
    "--json", "json_out", default=None, type=click.Path(dir_okay=False), help="Write results here."
)
@click.option(
    "--baselines",
    is_flag=True,
    help="Also run BM25-only, dense-only and plain RRF in the same run.",
)
@click.option("--no-captions", is_flag=True, help="Drop shared-photo captions from turn text.")
@click.option(
    "--embed-context", is_flag=True, help="Embed each turn after its previous turn (slower ingest)."
)
@click.option(
    "--db", "bench_db", default=None, metavar="URL",
    help="Ingest into this database (e.g. postgresql://.../db?schema=locomo, an empty schema) "
    "instead of a temporary SQLite file.",
)  # fmt: skip
@pass_ctx
def locomo(
    c: Ctx,
    data: str,
    k: str,
    json_out: str | None,
    baselines: bool,
    no_captions: bool,
    embed_context: bool,
    bench_db: str | None,
) -> None:
    """Evidence recall@k on a LoCoMo-format file."""
    from phasemem.research.bench import locomo as lb

    ks = _ks(k)
    configs: dict[str, RetrievalConfig | None] = {"phasemem": None}
    if baselines:
        plain = RetrievalConfig(speaker_boost=0.0, time_boost=0.0, neighbours=0)
        configs.update({
            "bm25_only": plain.with_(dense=False),
            "dense_only": plain.with_(lexical=False),
            "plain_rrf": plain.with_(fusion="rrf", w_dense=1.0),
            "core_no_time_boost": RetrievalConfig(time_boost=0.0),
        })  # fmt: skip
    from rich.progress import Progress, TaskID

    with Progress(console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, k: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.advance(tasks[stage], k)

        res = lb.run(
            data,
            ks,
            configs=configs,
            embedder=c.embedder,
            captions=not no_captions,
            embed_context=embed_context,
            progress=report,
            db=bench_db,
        )
    table = Table("system", *[f"R@{x}" for x in ks], *[f"tok@{x}" for x in ks], "p50 ms", "p95 ms",
                  title=f"LoCoMo evidence recall ({res['questions']} questions, {res['turns']} turns)")  # fmt: skip
    for name in configs:
        r = res[name]
        table.add_row(name, *[f"{r['recall'][str(x)]:.3f}" for x in ks],
                      *[f"{r['context_tokens_mean'][str(x)]:.0f}" for x in ks],
                      f"{r['search_ms']['p50']:.1f}", f"{r['search_ms']['p95']:.1f}")  # fmt: skip
    console.print(table)
    cat = Table("category", "n", *[f"R@{x}" for x in ks], title="phasemem by category")
    for cname, vals in res["recall_by_category"].items():
        cat.add_row(
            cname, str(res["questions_by_category"][cname]), *[f"{vals[str(x)]:.3f}" for x in ks]
        )
    console.print(cat)
    console.print(f"ingest: {res['ingest_per_s']:.1f} turns/s")
    if json_out:
        Path(json_out).write_text(json.dumps(res, indent=2))


@bench.command()
@click.option(
    "--n", "ns", default="10000,100000", show_default=True, help="Episode counts, comma-separated."
)
@click.option("--queries", default=200, show_default=True)
@click.option("--no-facts", is_flag=True, help="Episodes only: no fact extraction at ingest.")
@click.option("--db", default=None, metavar="URL",
              help="PostgreSQL URL: each N in a fresh schema <schema or scale>_<N> there.")  # fmt: skip
@click.option("--users", default=1, show_default=True,
              help="Spread the episodes over this many user scopes; each query asks one.")  # fmt: skip
@click.option("--json", "json_out", default=None, type=click.Path(dir_okay=False))
@pass_ctx
def scale(c: Ctx, ns: str, queries: int, no_facts: bool, db: str | None, users: int,
          json_out: str | None) -> None:  # fmt: skip
    """Ingest rate, search latency, bytes and RSS at each N (one user scope, or --users)."""
    from phasemem.research.bench import scale as sb

    sizes = _ks(ns)
    from rich.progress import Progress

    runs = []
    with Progress(console=console) as bar:
        task = bar.add_task("scale runs", total=len(sizes))
        for n in sizes:
            runs.extend(sb.run([n], queries, embedder=c.embedder, facts=not no_facts, db=db,
                               users=users)["runs"])  # fmt: skip
            bar.advance(task)
    from phasemem.research.bench.stats import machine

    res = {"machine": machine(), "runs": runs}
    table = Table("n", "users", "facts", "ingest/s", "ingest/cpu-s", "p50 ms", "p95 ms", "cpu p50", "bm25 p50",
                  "dense p50", "dense R@10 vs exact (ids / scores)", "cpu p50, BM25 in memory",
                  "bytes/ep", "RSS MB", title="scale")  # fmt: skip
    for r in runs:
        recall = (f"{r['dense_recall_at10_vs_exact']:.3f} / {r['dense_score_recall_at10_vs_exact']:.3f}"
                  if "dense_recall_at10_vs_exact" in r else "-")  # fmt: skip
        table.add_row(str(r["n"]), str(r.get("users", 1)), "on" if r["facts"] else "off", f"{r['ingest_per_s']:.0f}",
                      f"{r['ingest_per_cpu_s']:.0f}", f"{r['search_ms']['p50']:.2f}", f"{r['search_ms']['p95']:.2f}",
                      f"{r['search_cpu_ms']['p50']:.2f}", f"{r['bm25_only_search_ms']['p50']:.2f}",
                      f"{r['dense_only_search_ms']['p50']:.2f}",
                      recall,
                      f"{r['search_lexical_index_cpu_ms']['p50']:.2f}",
                      f"{r['bytes_per_episode']:.0f}", f"{r['peak_rss_mb']:.0f}")  # fmt: skip
    console.print(table)
    if json_out:
        Path(json_out).write_text(json.dumps(res, indent=2))


@bench.command()
@click.option(
    "--data",
    "data",
    required=True,
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Suite JSONL (benchmarks/data/poisoning/suite.jsonl); repeat to add files.",
)
@click.option("--json", "json_out", default=None, type=click.Path(dir_okay=False))
@click.option("--kind", "kinds", multiple=True, help="Only scenarios of this kind (repeatable).")
@click.option("--embedder", "embedder", default=None, help="Embedder name (hash-test: fast run).")
@click.option(
    "--db", "bench_db", default=":memory:", show_default=True,
    type=click.Choice([":memory:", "memory://"]),
    help="The fresh store each scenario runs on: SQLite in memory, or the pure-Python store.",
)  # fmt: skip
@pass_ctx
def poisoning(
    c: Ctx,
    data: tuple[str, ...],
    json_out: str | None,
    kinds: tuple[str, ...],
    embedder: str | None,
    bench_db: str,
) -> None:
    """Memory poisoning: attack success and legitimate updates accepted, by kind."""
    from rich.progress import Progress

    from phasemem.research.bench import poisoning as pb

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("scenarios", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        res = pb.run(list(data), embedder=embedder or c.embedder, kinds=kinds or None,
                     progress=report, location=bench_db)  # fmt: skip
    for group, title, kinds_all in (
        ("attack_success", "attack success (lower is better)", pb.ATTACK_KINDS),
        ("benign_accept", "legitimate updates accepted (higher is better)", pb.BENIGN_KINDS),
    ):
        side = "attack" if group == "attack_success" else "benign"
        table = Table("kind", "n", "rate", *res["by_split"], title=title)
        for k in ("overall", *kinds_all):
            rate = res[group].get(k)
            if rate is None:
                continue
            per_split = [res["by_split"][s][group].get(k) for s in res["by_split"]]
            table.add_row(k, str(res["counts"][side].get(k, 0)), f"{rate:.3f}",
                          *["-" if v is None else f"{v:.3f}" for v in per_split])  # fmt: skip
        console.print(table)
    console.print(f"attacks won through: {res['attack_wins_by']}")
    console.print(f"legitimate updates failed on: {res['benign_failures_by']}")
    console.print(
        f"{res['scenarios']} scenarios, {res['seconds']} s, embedder {res['embedder']}, "
        f"store {res['store']}"
    )
    if json_out:
        Path(json_out).write_text(json.dumps(res, indent=2, ensure_ascii=False))


@bench.command()
@click.option("--seed", default=0, show_default=True, help="Changes the generated histories.")
@click.option("--people", default=24, show_default=True)
@click.option("--json", "json_out", default=None, type=click.Path(dir_okay=False))
@pass_ctx
def temporal(c: Ctx, seed: int, people: int, json_out: str | None) -> None:
    """Current / as-of / static-fact accuracy vs no-time and recency baselines."""
    from phasemem.research.bench import temporal as tb

    with console.status("generating, ingesting, asking..."):
        res = tb.run(seed=seed, people=people, embedder=c.embedder)
    q = res["questions"]
    table = Table("system", f"current@1 (n={q['current']})", f"as-of@1 (n={q['as_of']})",
                  f"static retention (n={q['static']})", title=f"temporal facts (seed {seed})")  # fmt: skip
    for name in ("phasemem", "no_time", "recency"):
        r = res[name]
        table.add_row(
            name, f"{r['current_at1']:.3f}", f"{r['as_of_at1']:.3f}", f"{r['static_retention']:.3f}"
        )
    console.print(table)
    console.print(f"{res['episodes']} episodes, ingest {res['ingest_per_s']:.1f}/s with extraction; "
                  f"{res['static_missing']} static facts not extracted (left out of retention)")  # fmt: skip
    if json_out:
        Path(json_out).write_text(json.dumps(res, indent=2, default=str))


# -- serving benchmarks (a REST server under load; context packing) ---------------------------
@click.command("load")
@click.option("--n", "n", default=100_000, show_default=True, type=click.IntRange(1, 2_000_000),
              help="Memories in the tenant.")  # fmt: skip
@click.option("--clients", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--seconds", default=30.0, show_default=True, type=click.FloatRange(1, 600))
@click.option("--max-requests", default=20_000, show_default=True, type=click.IntRange(1))
@click.option("--workdir", default=None, type=click.Path(file_okay=False),
              help="Keep the filled tenant here and reuse it on the next run.")  # fmt: skip
@click.option("--readers", default=2, show_default=True, type=click.IntRange(1, 16),
              help="The server's read handles per tenant.")  # fmt: skip
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16),
              help="The server's processes.")  # fmt: skip
@click.option("--search-threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="The server's search threads per process.")  # fmt: skip
@click.option("--fast-search/--no-fast-search", default=True, show_default=True,
              help="The server's direct /v1/search path (off: every search through FastAPI's route).")  # fmt: skip
@click.option("--rate", default=None, type=click.FloatRange(min=0.1),
              help="Also run an open loop at this many requests/s in total (clients send on a schedule).")  # fmt: skip
@click.option("--writer-rate", default=None, type=click.FloatRange(min=0.1),
              help="Run the closed loop again, in windows without and with one more client "
              "adding this many memories/s.")  # fmt: skip
@click.option("--writer-window", default=5.0, show_default=True, type=click.FloatRange(min=0.5),
              help="Seconds per window of the writer comparison.")  # fmt: skip
@click.option("--facts/--no-facts", default=False, show_default=True,
              help="The server extracts facts from the writer's adds (the fill never does).")  # fmt: skip
@click.option("--db", "db", default=None, metavar="URL",
              help="A PostgreSQL URL the servers share (serve --db); default: SQLite files.")  # fmt: skip
@click.option("--servers", default=1, show_default=True, type=click.IntRange(1, 8),
              help="phasemem serve processes (each with --workers); clients spread over them.")  # fmt: skip
@click.option("--visibility", "visibility", default=0, show_default=True, type=click.IntRange(0),
              help="With 2+ servers: writes through server 1 timed until a search on server 2 finds them.")  # fmt: skip
@click.option("--json", "json_out", default=None, type=click.Path(dir_okay=False))
@lexical_option
@embedder_option
@click.pass_context
@_guard
def load_bench(ctx: click.Context, n: int, clients: int, seconds: float, max_requests: int,
               workdir: str | None, readers: int, workers: int, search_threads: int,
               fast_search: bool, rate: float | None, writer_rate: float | None,
               writer_window: float, facts: bool, db: str | None, servers: int, visibility: int,
               json_out: str | None, lexical_index: bool, embedder: str | None) -> None:  # fmt: skip
    """REST search latency under concurrent loopback clients (127.0.0.1 only)."""
    from phasemem.research.bench import load

    res = load.run(n=n, clients=clients, seconds=seconds, max_requests=max_requests,
                   workdir=workdir, embedder=_embedder(ctx, embedder), readers=readers,
                   workers=workers, rate=rate, lexical_index=lexical_index,
                   search_threads=search_threads, fast_search=fast_search,
                   writer_rate=writer_rate, writer_window=writer_window, facts=facts,
                   db=db, servers=servers, visibility_samples=visibility,
                   progress=lambda msg: console.print(msg, highlight=False))  # fmt: skip
    lat = res["search_ms"]
    console.print(f"n={res['n']} embedder={res['embedder']} clients={clients}: "
                  f"p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, {res['requests_per_s']:.1f} req/s, "
                  f"errors {res['errors']} (closed loop; connections per worker "
                  f"{res['connections_per_worker']})")  # fmt: skip
    if "open_loop" in res:
        o = res["open_loop"]
        console.print(f"open loop at {rate:g} req/s offered: p50 {o['search_ms']['p50']:.1f} ms, "
                      f"p95 {o['search_ms']['p95']:.1f} ms, {o['requests_per_s']:.1f} req/s, "
                      f"errors {o['errors']}")  # fmt: skip
    if "writer" in res:
        wr, ws = res["writer"], res["writer"]["writes"]
        for label, side in (("without a writer", wr["without_writer"]),
                            (f"with a writer at {writer_rate:g} adds/s", wr["with_writer"])):  # fmt: skip
            console.print(f"{label} (windows of {wr['window_s']:g} s): p50 {side['search_ms']['p50']:.1f} ms, "
                          f"p95 {side['search_ms']['p95']:.1f} ms, {side['requests_per_s']:.1f} req/s, "
                          f"server CPU {side['server_cpu_ms_per_search']:.1f} ms/search, "
                          f"errors {side['errors']}")  # fmt: skip
        console.print(f"writes: {ws['adds']} adds ({ws['adds_per_s']:g}/s), add p50 "
                      f"{ws['add_ms']['p50']:.1f} ms, errors {ws['errors']}; server CPU per add beyond "
                      f"the searches {wr['server_cpu_ms_per_add']:.1f} ms")  # fmt: skip
    if "visibility" in res:
        v = res["visibility"]
        console.print(f"write on server 1 -> found by a search on server 2: p50 {v['lag_ms']['p50']:.1f} ms, "
                      f"p95 {v['lag_ms']['p95']:.1f} ms, max {v['lag_max_ms']:.1f} ms; "
                      f"{v['searches']['first_try']}/{v['samples']} on the first search, "
                      f"missed {v['missed']}")  # fmt: skip
    if json_out:
        Path(json_out).write_text(json.dumps(res, indent=2))


@click.command("context")
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--budgets", default="500,1000,2000", show_default=True)
@click.option("--json", "json_out", default=None, type=click.Path(dir_okay=False))
@facts_option
@embedder_option
@click.pass_context
@_guard
def context_bench(ctx: click.Context, data: str, budgets: str, json_out: str | None,
                  facts: bool, embedder: str | None) -> None:  # fmt: skip
    """Evidence recall inside assembled context vs plain top-k at the same tokens."""
    from phasemem.research.bench import context as bc

    try:
        bs = sorted({int(b) for b in budgets.split(",") if b.strip()})
    except ValueError:
        raise click.BadParameter("comma-separated integers", param_hint="--budgets") from None
    with console.status("ingesting and assembling..."):
        res = bc.run(data, bs, embedder=_embedder(ctx, embedder), facts=facts)
    table = Table("system", *[f"R@{b} tok" for b in bs],
                  title=f"LoCoMo evidence recall in context ({res['questions']} questions)")  # fmt: skip
    for name in ("context", "context_facts", "topk", "topk_fill"):
        table.add_row(name, *[f"{res[name]['recall'][str(b)]:.3f}" for b in bs])
    table.add_row("context/topk", *[f"{res['context_vs_topk'][str(b)]:.3f}" for b in bs])
    console.print(table)
    if json_out:
        Path(json_out).write_text(json.dumps(res, indent=2))


bench.add_command(load_bench, "load")
bench.add_command(context_bench, "context")


@bench.command("temporal-chat")
@click.option("--data", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A temporal_chat file (e.g. ../shared/data/temporal_chat/dev30.json).")  # fmt: skip
@click.option("--k", "k", default="1,5", show_default=True, help="Cut-offs, comma-separated.")
@click.option("--split", "which", type=click.Choice(["all", "dev", "val"]), default="all",
              show_default=True,
              help="val: every third case by id order (held out from tuning); dev: the rest.")  # fmt: skip
@click.option("--cases", default=None, help="Only these case ids (comma-separated).")
@click.option("--compare", "compare", multiple=True, metavar="NAME[:key=value,...]",
              help="Also score a variant on the same stores: a preset name, or 'NAME:key=value,...' "
                   "over the default settings (e.g. 'no_time:episode_time=false').")  # fmt: skip
@click.option("--no-baselines", is_flag=True, help="Skip the plain RRF and recency baselines.")
@click.option("--no-facts", is_flag=True, help="Episodes only: no fact extraction (facts@k = 0).")
@click.option("--json", "json_out", default=None, type=click.Path(dir_okay=False))
@pass_ctx
def temporal_chat(
    c: Ctx,
    data: str,
    k: str,
    which: str,
    cases: str | None,
    compare: tuple[str, ...],
    no_baselines: bool,
    no_facts: bool,
    json_out: str | None,
) -> None:
    """Current / as-of / static questions over multi-session chats (SOURCE.md protocol)."""
    from rich.progress import Progress

    from phasemem.research.bench import temporal_chat as tc

    ks = _ks(k)
    configs: dict[str, RetrievalConfig | None] = {"phasemem": None}
    for spec in compare:
        name, cfg = _variant(spec)
        configs[name] = cfg
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("questions", total=None)

        def report(n: int, total: int) -> None:
            bar.update(task, advance=n, total=total)

        res = tc.run(data, ks, which=which, configs=configs, embedder=c.embedder,
                     cases=[x.strip() for x in cases.split(",") if x.strip()] if cases else None,
                     baselines=not no_baselines, progress=report,
                     extractor=None if no_facts else "default")  # fmt: skip
    nk = res["questions_by_kind"]
    cols = [f"{kind}@{x}" for kind in tc.KINDS for x in ks]
    table = Table("system", *cols, title=f"temporal_chat, split {which}: {res['questions']} questions "
                  f"({', '.join(f'{kind} {nk[kind]}' for kind in tc.KINDS)}), {len(res['cases'])} cases")  # fmt: skip

    def row(name: str, shape: dict[str, dict[str, float]]) -> None:
        table.add_row(name, *[f"{shape[kind][str(x)]:.3f}" for kind in tc.KINDS for x in ks])

    row("phasemem episodes", res["episodes"])
    row("phasemem facts", res["facts"])
    for name, v in res.get("variants", {}).items():
        row(f"{name} episodes", v["episodes"])
    for name, shape in res.get("baselines", {}).items():
        row(f"baseline {name}", shape)
    console.print(table)
    ms = res["search_ms"]
    console.print(
        f"search p50 {ms['p50']:.1f} ms, p95 {ms['p95']:.1f} ms; {res['wall_s']:.0f} s in all"
    )
    if json_out:
        Path(json_out).write_text(json.dumps(res, indent=2, ensure_ascii=False))


def _variant(spec: str) -> tuple[str, RetrievalConfig]:
    """'NAME' (a preset) or 'NAME:key=value,...' (settings over the default)."""
    from phasemem.retrieval.config import preset

    name, _, settings = spec.partition(":")
    if not settings:
        return name, preset(name)
    changes: dict[str, object] = {}
    for item in settings.split(","):
        key, sep, raw = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected key=value, got {item!r}", param_hint="--compare")
        low = raw.strip().lower()
        value: object
        if low in ("true", "false"):
            value = low == "true"
        else:
            try:
                value = int(raw) if raw.strip().lstrip("-").isdigit() else float(raw)
            except ValueError:
                value = raw.strip()
        changes[key.strip()] = value
    return name, RetrievalConfig().with_(**changes)
