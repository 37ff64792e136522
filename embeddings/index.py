"""Build, publish and load index builds.

A build is a folder ``<root>/<build-id>/`` with::

    manifest.json   schema, encoder (name, version, dim), metric, analyzer,
                    corpus digest and counts, build time
    dense.faiss     FAISS inner-product index of L2-normalised chunk vectors
    lexical/        bm25s index over the analyzer's terms
    chunks.jsonl    chunk metadata, in index order
    documents.json  page metadata (title, url, agency, category...)
    extras.json     synonyms, categories, agencies and the vocabulary for typos

Loading reads each file into the typed records of :mod:`embeddings.records`.

``<root>/CURRENT`` names the build in service and is replaced atomically
with :func:`os.replace`, so a reader sees the old build or the new one, never
half of one. Only the CLI builds; the bot only loads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import bm25s
import faiss
import numpy as np

from . import topicmodel
from .agencies import Agency
from .corpus import Chunk, Corpus, Document
from .encoders import EmbeddingCache, Encoder
from .errors import EmbeddingsError, IndexCorrupt, IndexMismatch, IndexNotFound
from .normalize import Analyzer, Synonyms
from .query import TYPO_CUTOFF, QueryProcessor
from .records import (
    Category,
    IndexedDocument,
    check_manifest_types,
    parse_agencies,
    parse_categories,
    parse_chunk,
    parse_documents,
)
from .topicmodel import TopicModel

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
ANALYZER_VERSION = "kkru-stem+ngram4+syn/4"  # 4: fold drops invisible characters
BM25_PARAMS = {"k1": 1.2, "b": 0.75, "method": "lucene"}
KEEP_BUILDS = 3


@dataclass(frozen=True)
class BuildReport:
    build_id: str
    path: Path
    documents: int
    chunks: int
    embedded: int  # distinct chunk texts sent to the encoder by this build
    seconds: float
    cached: int = 0  # distinct chunk texts whose embedding came from the cache
    # The topic model's training questions (0 when the build has no model or
    # reuses the published build's): how many, embedded now, from the cache.
    questions: int = 0
    questions_embedded: int = 0
    questions_cached: int = 0
    topic_model: str = "none"  # "trained", "reused" (the published one's) or "none"

    def summary(self) -> str:
        """What was embedded and what came from the cache, counted as it was:
        `saual index` prints it."""
        text = (f"{self.chunks} chunks: {self.embedded} embedded now, {self.cached} from the "
                f"embedding cache")
        repeated = self.chunks - self.embedded - self.cached
        if repeated:
            text += f", {repeated} repeating another chunk's text"
        if self.topic_model == "trained":
            text += (f"; topic model trained on {self.questions} questions ("
                     f"{self.questions_embedded} embedded now, {self.questions_cached} from "
                     "the cache")
            repeated = self.questions - self.questions_embedded - self.questions_cached
            text += f", {repeated} read the same as another)" if repeated else ")"
        elif self.topic_model == "reused":
            text += "; topic model: the published build's (same training questions)"
        return text


def _lexical_text(chunk: Chunk, doc: Document) -> str:
    return f"{doc.title}\n{chunk.heading}\n{chunk.text}"


def _lexical(chunks: list[Chunk], docs: dict[tuple[str, str], Document],
             analyzer: Analyzer) -> tuple[list[list[str]], list[str]]:
    """Each chunk's lexical terms, and the vocabulary the typo correction reads
    (the words of 3+ letters the chunks contain, no numbers, sorted)."""
    vocab: Counter[str] = Counter()
    tokens = []
    for c in chunks:
        analyzed = analyzer.analyze(_lexical_text(c, docs[(c.doc_id, c.lang)]), c.lang)
        vocab.update(analyzed.words)
        tokens.append(analyzed.terms(analyzer.ngram))
    return tokens, sorted(w for w in vocab if len(w) > 2 and not w.isdigit())


def corpus_reader(corpus: Corpus) -> QueryProcessor:
    """The question reader (language, Latin script, typos) a build of `corpus`
    would have, without building it: for reading questions against the
    knowledge when no index is at hand (tests, measurements)."""
    analyzer = Analyzer(Synonyms.from_groups(corpus.synonyms))
    docs = {(d.id, d.lang): d for d in corpus.documents}
    return QueryProcessor(_lexical(corpus.chunks(), docs, analyzer)[1], TYPO_CUTOFF)


def build_index(
    corpus: Corpus,
    encoder: Encoder,
    root: Path | str,
    *,
    publish: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cache_path: Path | str | None = None,
    topic_model: bool = True,
    question_progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Embed and index a validated corpus into a new build folder.

    Embeddings come from the cache at `cache_path` (default: inside `root`)
    when the same text was embedded by the same encoder before. With
    `topic_model` (and pages that carry example questions), the build also
    holds the topic model trained on the corpus (:mod:`embeddings.topicmodel`);
    a build without one is searched by retrieval alone.

    `progress(done, total)` hears of the chunks embedded (or found in the
    cache), `question_progress(done, total)` of the topic model's training
    questions: on a first build both take minutes.
    """
    started = time.perf_counter()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    docs = {(d.id, d.lang): d for d in corpus.documents}
    chunks = corpus.chunks()
    analyzer = Analyzer(Synonyms.from_groups(corpus.synonyms))

    total = len(chunks)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    cache = EmbeddingCache(Path(cache_path) if cache_path else root / "embedding-cache.sqlite3")
    try:
        texts = [c.embed_text(docs[(c.doc_id, c.lang)].title) for c in chunks]
        vectors, embedded, cached = cache.encode(encoder, texts, progress=tick)
    except BaseException:
        cache.close()
        raise
    if vectors.shape[1] != encoder.dim:
        raise IndexMismatch(
            f"encoder {encoder.name} returned {vectors.shape[1]} dimensions, "
            f"it declares {encoder.dim}"
        )

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    build_id = f"{stamp}-{corpus.digest[:8]}"
    tmp = root / f".{build_id}.tmp"
    tmp.mkdir()
    try:
        dense = faiss.IndexFlatIP(encoder.dim)
        dense.add(vectors)
        faiss.write_index(dense, str(tmp / "dense.faiss"))

        tokens, vocabulary = _lexical(chunks, docs, analyzer)
        lexical = bm25s.BM25(**BM25_PARAMS)
        lexical.index(tokens, show_progress=False)
        lexical.save(str(tmp / "lexical"), show_progress=False)

        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
        _write_json(tmp / "documents.json",
                    [IndexedDocument.of(d).as_record() for d in corpus.documents])
        _write_json(
            tmp / "extras.json",
            {
                "synonyms": corpus.synonyms,
                "categories": corpus.categories,
                "agencies": {a.id: a.as_record() for a in corpus.agencies.values()},
                "vocabulary": vocabulary,
            },
        )
        manifest = {
            "schema": SCHEMA_VERSION,
            "build_id": build_id,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "encoder": {"name": encoder.name, "version": encoder.version, "dim": encoder.dim},
            "metric": "inner_product",
            "normalized": True,
            "analyzer": {"version": ANALYZER_VERSION, "ngram": analyzer.ngram},
            "lexical": BM25_PARAMS,
            "corpus": {
                "digest": corpus.digest,
                "documents": len(corpus.documents),
                "chunks": len(chunks),
                "kinds": dict(Counter(d.kind for d in corpus.documents)),
            },
        }
        questions = _Questions()
        if topic_model:
            model = _topic_model(corpus, encoder, analyzer, vocabulary, cache, root, questions,
                                 question_progress)
            if model is not None:
                model.save(tmp)
                manifest["topic_model"] = model.info
        _write_json(tmp / "manifest.json", manifest)
        # Load it as the bot will before it can be published: knowledge that
        # validates yet writes a build no instance could start from must not
        # replace the serving build (nor, kept builds pruned, the last good one).
        try:
            _load(tmp, build_id, encoder)
        except (IndexCorrupt, IndexMismatch) as exc:
            raise IndexCorrupt(f"the new build cannot be loaded, so it was not kept or "
                               f"published: {exc}") from exc
        final = root / build_id
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        cache.close()
    if publish:
        publish_build(root, build_id)
    return BuildReport(build_id, final, len(corpus.documents), len(chunks), embedded,
                       time.perf_counter() - started, cached=cached,
                       questions=questions.total, questions_embedded=questions.embedded,
                       questions_cached=questions.cached, topic_model=questions.model)


@dataclass
class _Questions:
    """What the topic model's training cost, filled in by :func:`_topic_model`."""

    model: str = "none"
    total: int = 0
    embedded: int = 0
    cached: int = 0


def _topic_model(corpus: Corpus, encoder: Encoder, analyzer: Analyzer, vocabulary: list[str],
                 cache: EmbeddingCache, root: Path, counts: _Questions,
                 progress: Callable[[int, int], None] | None = None) -> TopicModel | None:
    """The topic model for this corpus: trained on what it provides, or the
    published build's model when that was trained on exactly the same
    examples read the same way (a published Q&A answer adds no example; it
    retrains only when its words change how the typo correction reads one).
    None when no page has example questions."""
    samples = topicmodel.examples(corpus, corpus.near_misses)
    if not any(s.label != topicmodel.NONE for s in samples) or not any(
            d.questions for d in corpus.documents):
        return None
    reader = QueryProcessor(vocabulary, TYPO_CUTOFF)

    def prepare(sample: topicmodel.Example) -> topicmodel.Prepared:
        _, _, corrected, dense_text = reader.process(sample.text)
        return topicmodel.Prepared(
            dense_text, topicmodel.analyzer_terms(analyzer, corrected, sample.lang))

    prepared = [prepare(s) for s in samples]
    digest = topicmodel.training_digest(samples, prepared, f"{encoder.name}@{encoder.version}")
    previous = _published_model(root)
    if previous is not None and previous.info.get("digest") == digest:
        logger.info("topic model: the published build's (same training examples)")
        counts.model = "reused"
        return previous
    started = time.perf_counter()

    def embed(texts: list[str]) -> np.ndarray:
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(texts))

        encoded = cache.encode(encoder, texts, progress=tick, queries=True)
        counts.total += len(texts)
        counts.embedded += encoded.embedded
        counts.cached += encoded.cached
        return encoded.vectors

    model = topicmodel.train(samples, prepared, embed)
    counts.model = "trained"
    model.info["digest"] = digest
    model.info["seconds"] = round(time.perf_counter() - started, 1)
    logger.info("topic model trained in %.1fs on %d examples", model.info["seconds"],
                model.info["examples"])
    return model


def _published_model(root: Path) -> TopicModel | None:
    try:
        return TopicModel.load(root / current_build(root))
    except (IndexNotFound, OSError, ValueError, KeyError):
        return None


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


# A build's temporary folder untouched this long was left by a killed build (a
# build takes minutes; another one may be writing its own folder meanwhile).
STALE_TMP_SECONDS = 6 * 3600


def publish_build(root: Path | str, build_id: str) -> None:
    """Point CURRENT at a build atomically, then prune old builds and the
    temporary folders of builds killed before they finished."""
    root = Path(root)
    if not (root / build_id / "manifest.json").exists():
        raise IndexNotFound(f"no build {build_id!r} in {root}")
    pointer = root / f".CURRENT.{os.getpid()}.tmp"
    pointer.write_text(build_id + "\n", encoding="utf-8")
    os.replace(pointer, root / "CURRENT")
    builds = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in builds[:-KEEP_BUILDS]:
        if old.name != build_id:
            shutil.rmtree(old, ignore_errors=True)
    now = time.time()
    for left in root.glob(".*.tmp"):
        try:
            stale = left.is_dir() and now - left.stat().st_mtime > STALE_TMP_SECONDS
        except OSError:
            continue
        if stale:
            shutil.rmtree(left, ignore_errors=True)


def current_build(root: Path | str) -> str:
    root = Path(root)
    try:
        build_id = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexNotFound(
            f"no index in {root}: build one with `saual index`"
        ) from None
    if not (root / build_id / "manifest.json").exists():
        raise IndexNotFound(f"{root}/CURRENT names {build_id!r}, which is not a complete build")
    return build_id


@dataclass
class LoadedIndex:
    """A build loaded into memory; read-only and shared by concurrent searches."""

    build_id: str
    manifest: dict
    dense: faiss.Index
    lexical: bm25s.BM25
    chunks: list[Chunk]
    documents: dict[tuple[str, str], IndexedDocument]
    analyzer: Analyzer
    vocabulary: list[str]
    categories: dict[str, Category]  # by id, in catalogue order
    agencies: dict[str, Agency]  # by id, in agencies.yaml order
    chunk_doc: np.ndarray  # chunk index -> topic index
    topic_ids: list[str]
    topic_model: TopicModel | None = None  # None: a build made without one


def load_index(root: Path | str, encoder: Encoder, build_id: str | None = None) -> LoadedIndex:
    """Load the published build (or `build_id`), refusing one made for another encoder.

    Every failure is an EmbeddingsError naming the build: IndexMismatch for
    another encoder or schema, IndexCorrupt for files that cannot be read.
    """
    root = Path(root)
    build_id = build_id or current_build(root)
    path = root / build_id
    try:
        return _load(path, build_id, encoder)
    except EmbeddingsError:
        raise
    except Exception as exc:  # a truncated or edited file fails in numpy, faiss, bm25s, json...
        raise IndexCorrupt(f"index build {path} cannot be loaded: "
                           f"{type(exc).__name__}: {exc}") from exc


@contextlib.contextmanager
def _reading(path: Path, name: str) -> Iterator[None]:
    """Any failure while reading one file of a build is an IndexCorrupt naming it."""
    try:
        yield
    except EmbeddingsError:
        raise
    except Exception as exc:  # numpy, faiss, bm25s and json each fail their own way
        raise IndexCorrupt(f"index build {path}: {name} cannot be read: "
                           f"{type(exc).__name__}: {exc}") from exc


def _json(path: Path, name: str) -> object:
    with _reading(path, name):
        return json.loads((path / name).read_text(encoding="utf-8"))


def _load(path: Path, build_id: str, encoder: Encoder) -> LoadedIndex:
    manifest = _json(path, "manifest.json")
    if isinstance(manifest, dict) and manifest.get("schema") != SCHEMA_VERSION:
        # A build of another version: its fields may differ, so say so first.
        raise IndexMismatch(f"index build {path} has schema {manifest.get('schema')!r} (this "
                            f"version reads {SCHEMA_VERSION}). Rebuild it with `saual index`.")
    check_manifest_types(manifest, path)
    assert isinstance(manifest, dict)
    check_manifest(manifest, encoder, path)
    with _reading(path, "dense.faiss"):
        dense = faiss.read_index(str(path / "dense.faiss"))
    with _reading(path, "lexical/"):
        lexical = bm25s.BM25.load(str(path / "lexical"), show_progress=False)
    with _reading(path, "chunks.jsonl"):
        chunks = [
            parse_chunk(line, number, path)
            for number, line in enumerate((path / "chunks.jsonl").read_text(encoding="utf-8")
                                          .splitlines(), 1)
        ]
    if dense.ntotal != len(chunks):
        raise IndexMismatch(f"{path}: dense index has {dense.ntotal} rows for {len(chunks)} chunks")
    if lexical.scores.get("num_docs") != len(chunks):
        raise IndexCorrupt(f"{path}/lexical: {lexical.scores.get('num_docs')} documents for "
                           f"{len(chunks)} chunks")
    documents = parse_documents(_json(path, "documents.json"), path)
    extras = _json(path, "extras.json")
    if not (isinstance(extras, dict)
            and all(isinstance(extras.get(k), dict) for k in ("synonyms", "categories",
                                                                "agencies"))
            and isinstance(extras.get("vocabulary"), list)
            and all(isinstance(w, str) for w in extras["vocabulary"])):
        raise IndexCorrupt(f"{path}/extras.json: expected synonyms, categories and agencies "
                           "objects and a vocabulary list of strings")
    with _reading(path, "extras.json synonyms"):
        analyzer = Analyzer(Synonyms.from_groups(extras["synonyms"]),
                            manifest["analyzer"]["ngram"])
    topic_ids = list(dict.fromkeys(c.doc_id for c in chunks))
    position = {t: i for i, t in enumerate(topic_ids)}
    chunk_doc = np.array([position[c.doc_id] for c in chunks], dtype=np.int64)
    with _reading(path, topicmodel.FILE):
        model = TopicModel.load(path)
    if model is not None and model.dense_coef.shape[1] != dense.d:
        raise IndexMismatch(f"{path}: topic model for {model.dense_coef.shape[1]} dimensions, "
                            f"index has {dense.d}")
    return LoadedIndex(build_id, manifest, dense, lexical, chunks, documents, analyzer,
                       extras["vocabulary"], parse_categories(extras["categories"], path),
                       parse_agencies(extras["agencies"], path), chunk_doc, topic_ids, model)


def ensure_index(corpus: Corpus, encoder: Encoder, root: Path | str,
                 progress: Callable[[int, int], None] | None = None,
                 cache_path: Path | str | None = None) -> LoadedIndex:
    """The published build of `root` if it was made from this very corpus with
    this encoder; otherwise build (embedding only what the cache lacks) and load."""
    root = Path(root)
    try:
        loaded = load_index(root, encoder)
        if loaded.manifest["corpus"]["digest"] == corpus.digest:
            return loaded
    except (IndexNotFound, IndexMismatch, IndexCorrupt):
        pass
    build_index(corpus, encoder, root, progress=progress, cache_path=cache_path)
    return load_index(root, encoder)


def check_manifest(manifest: dict, encoder: Encoder, path: Path | str = "") -> None:
    problems = []
    if manifest.get("schema") != SCHEMA_VERSION:
        problems.append(f"schema {manifest.get('schema')} (this version reads {SCHEMA_VERSION})")
    built = manifest.get("encoder", {})
    if built.get("name") != encoder.name:
        problems.append(f"encoder {built.get('name')!r} (configured: {encoder.name!r})")
    elif built.get("version") != encoder.version:
        problems.append(f"encoder version {built.get('version')} (installed: {encoder.version})")
    if built.get("dim") != encoder.dim:
        problems.append(f"dimension {built.get('dim')} (encoder gives {encoder.dim})")
    if manifest.get("metric") != "inner_product" or not manifest.get("normalized"):
        problems.append(f"metric {manifest.get('metric')!r} (expected normalised inner product)")
    if manifest.get("analyzer", {}).get("version") != ANALYZER_VERSION:
        problems.append(f"analyzer {manifest.get('analyzer', {}).get('version')!r} "
                        f"(this version: {ANALYZER_VERSION!r})")
    if problems:
        raise IndexMismatch(
            f"index build {path} does not match this configuration: "
            + "; ".join(problems)
            + ". Rebuild it with `saual index`."
        )
