"""Maintainer commands of the knowledge base and the search: `saual index`
(check and publish a build), `saual ask` and `saual eval`."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from embeddings import (
    CorpusError,
    Decision,
    DocKind,
    EmbeddingsError,
    IndexNotFound,
    SearchEngine,
    ensure_index,
    evaluate,
    load_index,
    load_passages,
    load_questions,
    make_encoder,
)

from ..config import Settings
from .base import Progress, app, fail, load_settings, with_storage


@app.command()
def index(
    check: Annotated[bool, typer.Option("--check", help="Validate only; build nothing.")] = False,
    knowledge: Annotated[Path | None, typer.Option(help="Knowledge folder.")] = None,
) -> None:
    """Validate the knowledge files and the published answers (kept in the database),
    and build + publish a new index of them all."""
    from ..publisher import BuildBusy, Publisher

    settings = load_settings()
    folder = knowledge or settings.knowledge_dir

    def loaded(corpus) -> None:
        pages = sum(1 for d in corpus.documents if d.kind == DocKind.PAGE)
        qa = sum(1 for d in corpus.documents if d.kind == DocKind.QA)
        topics = len({d.id for d in corpus.documents if d.kind == DocKind.PAGE})
        themes = len({d.id for d in corpus.documents if d.kind == DocKind.REDIRECT})
        typer.echo(f"{folder}: {pages} pages ({topics} topics), {qa} published answers, "
                   f"{themes} out-of-scope themes, {len(corpus.agencies)} agencies, "
                   f"{len(corpus.synonyms)} synonym groups; no errors")
        if not check:
            typer.echo(f"building the index with {settings.encoder}: what the embedding cache "
                       "lacks is embedded now (the first build takes minutes; a terminal "
                       "shows a progress bar)")

    async def work(storage):
        builder = Publisher(storage, lambda: make_encoder(settings.encoder), folder,
                            settings.index_dir)
        if check:
            return loaded((await builder.corpus())[0])
        bar = Progress(0, f"the sections of {folder}")
        try:
            return await builder.rebuild(
                progress=bar.progress,
                question_progress=bar.stage("the topic model's training questions", "question"),
                loaded=loaded)
        finally:
            bar.close()

    try:
        report = asyncio.run(with_storage(settings, work))
    except CorpusError as exc:
        fail(f"{exc}\nThe index in service was left as it was.")
    except (EmbeddingsError, BuildBusy) as exc:
        fail(str(exc))
    if report is not None:
        typer.echo(f"built {report.build_id} in {report.seconds:.1f}s: {report.summary()}; "
                   f"now serving from {settings.index_dir}")


def _engine(settings: Settings) -> SearchEngine:
    try:
        encoder = make_encoder(settings.encoder)
        return SearchEngine(load_index(settings.index_dir, encoder), encoder,
                            settings.search_config(), settings.index_dir)
    except IndexNotFound as exc:
        fail(str(exc))
    except EmbeddingsError as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many results.")] = 5,
) -> None:
    """Ask one question and print the best pages."""
    settings = load_settings()
    engine = _engine(settings)
    result = engine.search(text, k=k)
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=1))
        return
    status = {Decision.ANSWER: "confident: answers with the first page",
              Decision.CLARIFY: f"asks which of the first {result.options} pages is meant",
              Decision.ABSTAIN: "not confident: would abstain"}[result.decision]
    typer.echo(f"[{result.lang}] {status} ({result.confidence:.2f})")
    for i, hit in enumerate(result.hits, start=1):
        flag = " (other language)" if hit.fallback else ""
        typer.echo(f"{i}. {hit.title} [{hit.id}, {hit.lang}{flag}] score {hit.score:.3f}")
        typer.echo(f"   {hit.url}")
        if i == 1:
            typer.echo(f"   § {hit.section}: {hit.snippet[:300]}")


@app.command("eval")
def eval_(
    questions: Annotated[Path, typer.Option(help="Question set (JSON Lines).")],
    passages: Annotated[Path | None, typer.Option(
        help="Index this passage set instead of the knowledge base.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    lexical_weight: Annotated[float | None, typer.Option(
        help="Override the fusion weight (1 = lexical only, 0 = dense only).")] = None,
    fusion: Annotated[str | None, typer.Option(help="Override the fusion: zscore or rrf.")] = None,
) -> None:
    """Measure hit@k, MRR, abstention and latency on a question set."""
    settings = load_settings()
    try:
        qs = load_questions(questions)
    except (CorpusError, FileNotFoundError) as exc:
        fail(str(exc))
    config = settings.search_config()
    if lexical_weight is not None:
        config = replace(config, lexical_weight=lexical_weight)
    if fusion is not None:
        if fusion not in ("zscore", "rrf"):
            fail(f"--fusion must be zscore or rrf, not {fusion!r}")
        config = replace(config, fusion=fusion)
    if passages is None:
        engine = _engine(settings)
        engine = SearchEngine(engine.index, engine.encoder, config, settings.index_dir)
    else:
        try:
            corpus = load_passages(passages)
            encoder = make_encoder(settings.encoder)
        except EmbeddingsError as exc:
            fail(str(exc))
        root = Path("var/eval") / hashlib.sha256(str(passages.resolve()).encode()).hexdigest()[:12]
        bar = Progress(len(corpus.documents), passages.name)
        try:
            loaded = ensure_index(corpus, encoder, root, progress=bar.progress,
                                  cache_path=Path("var/embedding-cache.sqlite3"))
        finally:
            bar.close()
        engine = SearchEngine(loaded, encoder, config)
    metrics = evaluate(engine, qs)
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
        return
    _print_metrics(metrics)


def _print_metrics(m: dict) -> None:
    def line(label: str, s: dict) -> str:
        return (f"{label:<14} n={s['n']:<5} hit@1 {s['hit@1']}  hit@3 {s['hit@3']}  "
                f"hit@5 {s['hit@5']}  MRR@10 {s['mrr@10']}")

    typer.echo(line("all", m))
    for lang, s in m["by_lang"].items():
        typer.echo(line(f"lang {lang}", s))
    for kind, s in m["by_kind"].items():
        typer.echo(line(f"kind {kind}", s))
    typer.echo(f"out-of-scope false-answer rate {m['oos_false_answer_rate']}  "
               f"in-scope abstain rate {m['in_scope_abstain_rate']}  "
               f"language match@1 {m['lang_match@1']}")
    typer.echo(f"latency ms p50 {m['latency_ms']['p50']}  p95 {m['latency_ms']['p95']}")


