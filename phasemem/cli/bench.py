"""``phasemem bench``: the benchmarks, with tables and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from phasemem.cli.common import Ctx, console, pass_ctx
from phasemem.retrieval.config import RetrievalConfig


@click.group()
def bench() -> None:
    """Run benchmarks (LoCoMo recall, scale)."""


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
@pass_ctx
def locomo(
    c: Ctx,
    data: str,
    k: str,
    json_out: str | None,
    baselines: bool,
    no_captions: bool,
    embed_context: bool,
) -> None:
    """Evidence recall@k on a LoCoMo-format file."""
    from phasemem.bench import locomo as lb

    ks = _ks(k)
    configs: dict[str, RetrievalConfig | None] = {"phasemem": None}
    if baselines:
        plain = {"speaker_boost": 0.0, "time_boost": 0.0, "neighbours": 0}
        configs.update({
            "bm25_only": RetrievalConfig(dense=False, **plain),
            "dense_only": RetrievalConfig(lexical=False, **plain),
            "plain_rrf": RetrievalConfig(fusion="rrf", w_dense=1.0, **plain),
            "core_no_time_boost": RetrievalConfig(time_boost=0.0),
        })  # fmt: skip
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

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
@click.option("--json", "json_out", default=None, type=click.Path(dir_okay=False))
@pass_ctx
def scale(c: Ctx, ns: str, queries: int, no_facts: bool, json_out: str | None) -> None:
    """Ingest rate, search latency, bytes and RSS at each N (one user scope)."""
    from phasemem.bench import scale as sb

    sizes = _ks(ns)
    from rich.progress import Progress

    runs = []
    with Progress(console=console) as bar:
        task = bar.add_task("scale runs", total=len(sizes))
        for n in sizes:
            runs.extend(sb.run([n], queries, embedder=c.embedder, facts=not no_facts)["runs"])
            bar.advance(task)
    from phasemem.bench.stats import machine

    res = {"machine": machine(), "runs": runs}
    table = Table("n", "facts", "ingest/s", "ingest/cpu-s", "p50 ms", "p95 ms", "cpu p50", "bm25 p50",
                  "dense p50", "dense R@10 vs exact (ids / scores)", "cpu p50, BM25 in memory",
                  "bytes/ep", "RSS MB", title="scale")  # fmt: skip
    for r in runs:
        table.add_row(str(r["n"]), "on" if r["facts"] else "off", f"{r['ingest_per_s']:.0f}",
                      f"{r['ingest_per_cpu_s']:.0f}", f"{r['search_ms']['p50']:.2f}", f"{r['search_ms']['p95']:.2f}",
                      f"{r['search_cpu_ms']['p50']:.2f}", f"{r['bm25_only_search_ms']['p50']:.2f}",
                      f"{r['dense_only_search_ms']['p50']:.2f}",
                      f"{r['dense_recall_at10_vs_exact']:.3f} / {r['dense_score_recall_at10_vs_exact']:.3f}",
                      f"{r['search_lexical_index_cpu_ms']['p50']:.2f}",
                      f"{r['bytes_per_episode']:.0f}", f"{r['peak_rss_mb']:.0f}")  # fmt: skip
    console.print(table)
    if json_out:
        Path(json_out).write_text(json.dumps(res, indent=2))


@bench.command()
@click.option("--seed", default=0, show_default=True, help="Changes the generated histories.")
@click.option("--people", default=24, show_default=True)
@click.option("--json", "json_out", default=None, type=click.Path(dir_okay=False))
@pass_ctx
def temporal(c: Ctx, seed: int, people: int, json_out: str | None) -> None:
    """Current / as-of / static-fact accuracy vs no-time and recency baselines."""
    from phasemem.bench import temporal as tb

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

    from phasemem.bench import temporal_chat as tc

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
