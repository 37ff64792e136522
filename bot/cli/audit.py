"""`saual audit`: one report of what in the knowledge base needs a human
(kk/ru disagreements, dead references, stale years, drafts, reviews due; the
checks and their levels are :mod:`embeddings.audit`'s)."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from itertools import groupby
from pathlib import Path
from typing import Annotated

import typer

from embeddings import AuditKind, AuditLevel, AuditProblem, audit, count_kinds, has_errors

from .base import app, clock_of, fail, load_settings

_HEADINGS = {AuditLevel.ERROR: "Errors (must be fixed)",
             AuditLevel.WARNING: "Warnings (worth a look)",
             AuditLevel.INFO: "For the record"}


@app.command("audit")
def audit_(
    ctx: typer.Context,
    knowledge: Annotated[Path | None, typer.Option(
        help="Knowledge folder (default: KNOWLEDGE_DIR).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help='Print {"problems": [{"id", "lang", "kind", "detail", "level"}], '
                       '"counts": {kind: n}}.')] = False,
) -> None:
    """Report what in the knowledge needs a human: numbers, links or sections that
    differ between kk and ru, general source links, dead references, past years
    stated as current, drafts and reviews due. Exits 1 when there is an error."""
    settings = load_settings()
    folder = knowledge or settings.knowledge_dir
    if not folder.is_dir():
        fail(f"{folder}: no such knowledge folder")
    from ..services.reviews import kz_today  # the day in Kazakhstan, as /review counts it

    today = kz_today(clock_of(ctx).time())
    problems = audit(folder, today=today, review_days=settings.review_days)
    if as_json:
        typer.echo(json.dumps({"problems": [p.as_json() for p in problems],
                               "counts": count_kinds(problems)}, ensure_ascii=False, indent=1))
    else:
        typer.echo("\n".join(report_lines(problems, folder, today)))
    if has_errors(problems):
        raise typer.Exit(1)


def report_lines(problems: list[AuditProblem], folder: Path, today: dt.date) -> list[str]:
    """The human report: by level, then kind; drafts as one list of topics;
    the counts at the end."""
    lines = [f"Audit of {folder} on {today.isoformat()}"]
    for level, of_level in groupby(problems, key=lambda p: p.level):
        lines += ["", _HEADINGS[level]]
        for kind, of_kind in groupby(of_level, key=lambda p: p.kind):
            found = list(of_kind)
            if kind == AuditKind.UNVERIFIED:
                lines += _drafts(found)
                continue
            lines.append(f"  {kind} ({len(found)})")
            for p in found:
                lines.append(f"    {p.id}{f' [{p.lang}]' if p.lang else ''}: {p.detail}")
    counts = count_kinds(problems)
    by_level = {level: sum(1 for p in problems if p.level == level) for level in AuditLevel}
    lines += ["", "Counts: " + ", ".join(f"{kind} {n}" for kind, n in counts.items() if n)
              if problems else "Counts: nothing to report",
              f"{by_level[AuditLevel.ERROR]} error(s), {by_level[AuditLevel.WARNING]} "
              f"warning(s), {by_level[AuditLevel.INFO]} for the record"]
    return lines


def _drafts(found: list[AuditProblem]) -> list[str]:
    """Draft pages as one wrapped list of topics (a language named when only
    that page of the topic is a draft)."""
    langs: dict[str, list[str]] = {}
    for p in found:
        langs.setdefault(p.id, []).append(p.lang)
    topics = [tid if len(ls) > 1 else f"{tid} ({ls[0]})" for tid, ls in langs.items()]
    head = f"  {AuditKind.UNVERIFIED} ({len(found)} draft pages, {len(topics)} topics): "
    return textwrap.wrap(head + ", ".join(topics), width=100, subsequent_indent="    ",
                         break_on_hyphens=False)
