"""Hybrid search: dense (FAISS) + lexical (BM25) with score-level fusion.

For one question:

1. fold it, detect its language, turn Latin script into Cyrillic (the table
   whose words the index knows best wins), and correct words the index has
   never seen against its vocabulary (loose key for a keyboard without Kazakh
   letters, then rapidfuzz);
2. score every chunk twice: cosine to the question's embedding, and BM25
   over stems, boundary 4-grams and synonym concepts;
3. z-normalise both score vectors within the question and add them with a
   fixed weight (score fusion measured better than reciprocal-rank fusion:
   docs/benchmarks.md);
4. a topic scores as its best chunk; the page in the question's language is
   shown when it exists (else the other one, flagged), with its best section
   as the snippet;
5. abstain when the best match is not close enough in absolute terms: a
   logistic model over the best cosine and the IDF-weighted share of the
   question's words that the best topic contains, so weather or recipes get
   no page.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from .encoders import Encoder, fit_query
from .errors import EmbeddingsError, IndexCorrupt, IndexNotFound
from .index import LoadedIndex, current_build, load_index
from .normalize import (
    KK_LETTERS,
    _translit_word,
    detect_lang,
    fold,
    has_latin,
    kk_stem,
    loose,
    ru_stem,
    words,
)

logger = logging.getLogger(__name__)
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class SearchConfig:
    """Tunable behaviour; the defaults are the engine's only settings."""

    # Share of the BM25 z-score in the fused score. 0.5 maximised mean hit@1 on
    # the even-numbered questions of KazQAD and XQuAD-ru (the tuning half);
    # docs/benchmarks.md reports the odd half as held out.
    lexical_weight: float = 0.5
    fusion: str = "zscore"  # or "rrf" (reciprocal-rank fusion, k=60), for comparison
    # Share of a topic's second-best chunk added to its best (0.6 chosen on
    # tests/fixtures/calibration.jsonl: hit@1 0.859 -> 0.918 there).
    second_chunk_weight: float = 0.6
    # Confidence = logistic(dense_w * 10 * (cosine - 0.85) + coverage_w * coverage
    #                       + unknown_w * unknown + bias), where cosine is the best
    # chunk's similarity to the question, coverage the IDF-weighted share of the
    # question's stems found in the best topic, and unknown the share of stems
    # the knowledge base has never seen (плов, Роналду). Fitted by
    # scripts/calibrate.py on tests/fixtures/calibration.jsonl; the threshold
    # keeps in-scope abstentions there at or under 5%.
    confidence_dense_weight: float = 2.51
    confidence_coverage_weight: float = 2.01
    confidence_unknown_weight: float = -1.49
    confidence_bias: float = 0.50
    min_confidence: float = 0.50  # below it the engine abstains
    typo_cutoff: float = 84.0  # rapidfuzz ratio to accept a correction
    snippet_chars: int = 700
    reload_every: float = 5.0  # seconds between checks of the CURRENT pointer
    # A question is cut to this many characters (then to the encoder's window)
    # before anything reads it: a real question is short, and a 4,000-character
    # message took seconds of the encoder every search waits for.
    max_query_chars: int = 1000


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    lang: str
    url: str
    score: float
    snippet: str
    section: str
    summary: str = ""
    category: str = ""
    agency: str = ""
    kind: str = "page"
    fallback: bool = False  # the page is not in the question's language


@dataclass(frozen=True)
class SearchResult:
    query: str
    lang: str
    confident: bool
    confidence: float
    hits: list[Hit] = field(default_factory=list)  # pages and published answers only
    normalized: str = ""
    # the confidence model's inputs, for calibration and debugging
    best_cosine: float = 0.0
    coverage: float = 0.0
    unknown: float = 0.0
    # An out-of-scope theme (knowledge/out_of_scope.yaml) that matched the
    # question better than any page: the engine then does not answer (confident
    # is False) and this says which agency handles the theme instead.
    elsewhere: Hit | None = None

    def as_json(self) -> dict:
        out = {
            "lang": self.lang,
            "confident": self.confident,
            "results": [
                {"id": h.id, "title": h.title, "lang": h.lang, "url": h.url,
                 "score": round(h.score, 4), "snippet": h.snippet}
                for h in self.hits
            ],
        }
        if self.elsewhere is not None:
            e = self.elsewhere
            out["elsewhere"] = {"id": e.id, "title": e.title, "agency": e.agency, "url": e.url}
        return out


def _zscore(scores: np.ndarray) -> np.ndarray:
    std = float(scores.std())
    if std < 1e-9:
        return np.zeros_like(scores)
    return (scores - float(scores.mean())) / std


# Kazakh voices a final к/қ/п before a vowel ending: куәлік -> куәлігі, кітап -> кітабы.
_ALTERNATION = {("к", "г"), ("п", "б")}
_VOICED = {"к": "г", "қ": "ғ", "п": "б"}


def _kk_count(word: str) -> int:
    return sum(ch in KK_LETTERS for ch in word)


def _voiced(letter: str) -> str:
    return _VOICED.get(letter, letter)


def _topic_scores(chunk_topic: np.ndarray, fused: np.ndarray, n_topics: int,
                  second_weight: float) -> np.ndarray:
    """A topic scores as its best chunk plus a share of its second best (when
    positive): a page that answers with two sections, or in both languages,
    beats one that matches a single stray paragraph."""
    order = np.lexsort((-fused, chunk_topic))  # by topic, best chunk first
    topics = chunk_topic[order]
    starts = np.flatnonzero(np.r_[True, topics[1:] != topics[:-1]])
    scores = np.full(n_topics, -np.inf)
    scores[topics[starts]] = fused[order[starts]]
    seconds = starts + 1
    has_second = (seconds < len(order)) & np.isin(seconds, starts, invert=True)
    seconds = seconds[has_second]
    scores[topics[seconds]] += second_weight * np.maximum(fused[order[seconds]], 0)
    return scores


def _rrf(scores: np.ndarray, k: int = 60) -> np.ndarray:
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return 1.0 / (k + ranks)


def make_snippet(text: str, limit: int) -> str:
    """Cut a section at a paragraph or sentence end near `limit` characters."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    if cut < limit // 2:
        ends = [m.end() for m in re.finditer(r"[.!?…](\s|$)", text[:limit])]
        cut = ends[-1] if ends and ends[-1] > limit // 2 else text.rfind(" ", 0, limit)
    return text[: max(cut, 1)].rstrip() + " …"


class _QueryProcessor:
    """Language, transliteration and typo tolerance against one index's vocabulary."""

    def __init__(self, vocabulary: list[str], cutoff: float):
        self.vocab = vocabulary
        self.vocab_set = set(vocabulary)
        # A word whose stem the index knows is an inflection, not a typo: Kazakh
        # questions are full of forms no page happens to use.
        self.stems = {kk_stem(w) for w in vocabulary} | {ru_stem(w) for w in vocabulary}
        self.cutoff = cutoff
        by_loose: dict[str, str] = {}
        for w in vocabulary:
            # prefer the spelling with Kazakh letters over a translit keyword
            key = loose(w)
            if key not in by_loose or _kk_count(w) > _kk_count(by_loose[key]):
                by_loose[key] = w
        self.by_loose = by_loose
        self.by_first: dict[str, list[str]] = {}
        for w in vocabulary:
            self.by_first.setdefault(loose(w[0]), []).append(w)
        self.loose_by_first: dict[str, list[str]] = {}
        self.loose_by_prefix: dict[str, list[str]] = {}
        for key in by_loose:
            self.loose_by_first.setdefault(key[0], []).append(key)
            self.loose_by_prefix.setdefault(key[:3], []).append(key)
        self._cache: dict[str, str | None] = {}

    def _loose_stem(self, key: str) -> str | None:
        """The longest known word (loose key, 4+ letters) that the typed word
        starts with, allowing the к/г, п/б alternation before a Kazakh ending,
        and leaving an ending of at most six letters."""
        best = None
        for cand in self.loose_by_prefix.get(key[:3], ()):
            if len(cand) > len(key) or len(key) - len(cand) > 6 or len(cand) < 4:
                continue
            head, last, typed = cand[:-1], cand[-1], key[len(cand) - 1]
            if key.startswith(head) and (typed == last or (last, typed) in _ALTERNATION) and (
                    best is None or len(cand) > len(best)):
                best = cand
        return best

    def known(self, w: str) -> bool:
        return w in self.vocab_set or loose(w) in self.by_loose

    def correct(self, w: str) -> str | None:
        if w in self._cache:
            return self._cache[w]
        fix: str | None = None
        if (w in self.vocab_set or len(w) < 4 or w.isdigit()
                or kk_stem(w) in self.stems or ru_stem(w) in self.stems):
            fix = None
        elif not any(ch in KK_LETTERS for ch in w):
            # Typed on a keyboard without Kazakh letters («куалигимнин» for
            # «куәлігімнің»): compare loose keys, where ә = а, қ = к, і = и...
            key = loose(w)
            if key in self.by_loose:
                fix = self.by_loose[key]
            elif stem_key := self._loose_stem(key):
                # an inflected form of a known word: keep the typed ending on
                # the restored stem («куалигимди» -> «куәлігімди»)
                word = self.by_loose[stem_key]
                last = word[-1] if key[len(stem_key) - 1] == stem_key[-1] else _voiced(word[-1])
                fix = word[:-1] + last + w[len(stem_key):]
            else:
                match = process.extractOne(key, self.loose_by_first.get(key[0], ()),
                                           scorer=fuzz.ratio, processor=None,
                                           score_cutoff=self.cutoff)
                fix = self.by_loose[match[0]] if match else None
        else:
            # A typo rarely hits the first letter; requiring it keeps «неден»
            # from turning into «енеден».
            match = process.extractOne(w, self.by_first.get(loose(w[0]), ()), scorer=fuzz.ratio,
                                       processor=None, score_cutoff=self.cutoff)
            fix = match[0] if match else None
        if len(self._cache) < 50_000:
            self._cache[w] = fix
        return fix

    def process(self, text: str) -> tuple[str, list[str], list[str], str]:
        """(lang, words as typed after transliteration, corrected words, text for
        the encoder).

        The encoder gets the question as typed, with only the transliterated
        and corrected words replaced: case and punctuation help it (dense-only
        hit@1 on KazQAD fell from 0.552 to 0.461 on folded text).
        """
        folded = fold(text)
        lang = detect_lang(folded)
        raw = words(folded)
        ws = raw
        if has_latin(folded):
            ws, lang = self._transliterate(raw, lang)
        corrected = [self.correct(w) or w for w in ws]
        # Corrections that restore Kazakh letters («калай» -> «қалай») tell the
        # language of a question typed without them.
        restored = sum(1 for t, c in zip(ws, corrected, strict=True)
                       if t != c and any(ch in KK_LETTERS for ch in c))
        if lang == "ru" and restored and restored * 3 >= len(ws):
            lang = "kk"
        changes = {r: c for r, c in zip(raw, corrected, strict=True) if r != c}
        dense_text = text.strip()
        if changes:
            dense_text = _WORD_RE.sub(
                lambda m: changes.get(m.group().casefold().replace("ё", "е"), m.group()),
                dense_text,
            )
        return lang, ws, corrected, dense_text

    def _transliterate(self, ws: list[str], lang: str) -> tuple[list[str], str]:
        latin = [bool(re.search(r"[a-zäöüışğñūç]", w)) for w in ws]
        options = {}
        for table in ("kk", "ru"):
            conv = [_translit_word(w, table) if is_lat else w
                    for w, is_lat in zip(ws, latin, strict=True)]
            hits = sum(self.known(w) for w, is_lat in zip(conv, latin, strict=True) if is_lat)
            options[table] = (hits, conv)
        kk_hits, kk_words = options["kk"]
        ru_hits, ru_words = options["ru"]
        # Brand names typed in Latin (eGov, WhatsApp) stay as they are when the
        # index knows them in Latin.
        keep = [w in self.vocab_set for w in ws]
        if lang == "kk" or kk_hits > ru_hits:
            chosen, lang = kk_words, "kk"
        else:
            chosen = ru_words
        return [w if k else c for w, c, k in zip(ws, chosen, keep, strict=True)], lang


class SearchEngine:
    """Searches one loaded index; `reload()` swaps in a newly published build.

    Safe to share between threads: a search works on the index object it
    started with, so a swap never disturbs a request in flight.
    """

    def __init__(
        self,
        index: LoadedIndex,
        encoder: Encoder,
        config: SearchConfig | None = None,
        root: Path | str | None = None,
    ):
        self.encoder = encoder
        self.config = config or SearchConfig()
        self.root = Path(root) if root else None
        self._state = self._prepare(index)
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._failed_build: str | None = None
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search")

    def _prepare(self, index: LoadedIndex):
        """The index with what a search derives from it; data that loaded but does
        not hold together (a chunk of no document...) is an IndexCorrupt."""
        try:
            return (index, _QueryProcessor(index.vocabulary, self.config.typo_cutoff),
                    _TopicStats(index))
        except Exception as exc:
            raise IndexCorrupt(f"index build {index.build_id} cannot be used: "
                               f"{type(exc).__name__}: {exc}") from exc

    @classmethod
    def open(cls, root: Path | str, encoder: Encoder, config: SearchConfig | None = None):
        return cls(load_index(root, encoder), encoder, config, root)

    @property
    def index(self) -> LoadedIndex:
        return self._state[0]

    # -- hot reload --------------------------------------------------------
    def reload(self, force: bool = False) -> bool:
        """Load the build CURRENT points to, if it changed. True when swapped."""
        if self.root is None:
            return False
        now = time.monotonic()
        if not force and now - self._checked < self.config.reload_every:
            return False
        with self._lock:
            self._checked = now
            try:
                build = current_build(self.root)
            except IndexNotFound:
                logger.warning("index pointer in %s is missing; keeping build %s",
                               self.root, self.index.build_id)
                return False
            if build in (self.index.build_id, self._failed_build):
                return False
            try:
                # Any failure is an EmbeddingsError naming the build (load_index, _prepare).
                state = self._prepare(load_index(self.root, self.encoder, build))
            except EmbeddingsError:
                # A broken build must not take the service down: keep answering
                # from the one in service and say so once.
                logger.exception("index build %s cannot be loaded; keeping build %s",
                                 build, self.index.build_id)
                self._failed_build = build
                return False
            self._state = state
            logger.info("switched to index build %s", build)
            return True

    # -- search ------------------------------------------------------------
    def fit_query(self, text: str) -> str:
        """The part of `text` a search reads: `max_query_chars` characters at
        most, cut further to the encoder's window (callers that analyse the
        question themselves should read no more either)."""
        return fit_query(self.encoder, text, self.config.max_query_chars)

    def search(self, text: str, k: int = 5, lang: str | None = None) -> SearchResult:
        # No reload here: a citizen's search never waits for a build to load. The
        # owner's background loop calls reload() (bot.factory: index-reload).
        text = self.fit_query(text)
        index, qp, stats = self._state
        qlang, typed, corrected, dense_text = qp.process(text)
        lang = lang or qlang
        if not corrected:
            return SearchResult(text, lang, False, 0.0, [], "")
        normalized = " ".join(corrected)

        dense = self._dense_scores(index, dense_text)
        analyzer = index.analyzer
        # Terms of the question as corrected, plus those of words the
        # correction changed as typed. Repeated terms are kept: BM25 then
        # weighs a piece that recurs in the question more, which measured
        # better than a set of terms.
        terms = analyzer.analyze(normalized, lang).terms(analyzer.ngram)
        changed = [t for t, c in zip(typed, corrected, strict=True) if t != c]
        if changed:
            terms += analyzer.analyze(" ".join(changed), lang).terms(analyzer.ngram)
        lexical = index.lexical.get_scores(terms) if terms else np.zeros(len(index.chunks))
        lexical = np.asarray(lexical, dtype=np.float32)

        w = self.config.lexical_weight
        if self.config.fusion == "rrf":
            fused = w * _rrf(lexical) + (1 - w) * _rrf(dense)
        else:
            fused = w * _zscore(lexical) + (1 - w) * _zscore(dense)
        topic_score = _topic_scores(index.chunk_doc, fused, len(index.topic_ids),
                                    self.config.second_chunk_weight)
        ranked = np.argsort(-topic_score)
        elsewhere = (self._hit(index, int(ranked[0]), fused, lang)
                     if len(ranked) and stats.redirect[ranked[0]] else None)
        order = ranked[~stats.redirect[ranked]][:k]

        hits = [self._hit(index, int(t), fused, lang) for t in order]
        best_cosine, coverage, unknown = self._features(index, order, dense, corrected, lang,
                                                        stats)
        confidence = self.confidence(best_cosine, coverage, unknown)
        confident = confidence >= self.config.min_confidence and elsewhere is None
        return SearchResult(text, lang, confident, confidence, hits, normalized, best_cosine,
                            coverage, unknown, elsewhere)

    async def asearch(self, text: str, k: int = 5, lang: str | None = None) -> SearchResult:
        """The same search, run in a worker thread so the event loop stays free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.search, text, k, lang)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _dense_scores(self, index: LoadedIndex, text: str) -> np.ndarray:
        qv = self.encoder.encode_queries([text])
        sims, ids = index.dense.search(qv, index.dense.ntotal)
        out = np.empty(index.dense.ntotal, dtype=np.float32)
        out[ids[0]] = sims[0]
        return out

    def _hit(self, index: LoadedIndex, topic: int, fused: np.ndarray, lang: str) -> Hit:
        topic_id = index.topic_ids[topic]
        members = np.flatnonzero(index.chunk_doc == topic)
        langs = {index.chunks[i].lang for i in members}
        show = lang if lang in langs else sorted(langs)[0]
        own = [i for i in members if index.chunks[i].lang == show]
        best = max(own, key=lambda i: fused[i])
        sections = [i for i in own if index.chunks[i].ordinal > 0] or own
        best_section = max(sections, key=lambda i: fused[i])
        doc = index.documents[(topic_id, show)]
        chunk = index.chunks[best_section]
        return Hit(
            id=topic_id,
            title=doc.title,
            lang=show,
            url=doc.source_url,
            score=float(fused[best]),
            snippet=make_snippet(chunk.text, self.config.snippet_chars),
            section=chunk.heading,
            summary=doc.summary,
            category=doc.category,
            agency=doc.agency,
            kind=doc.kind,
            fallback=show != lang,
        )

    def _features(self, index, order, dense, corrected, lang, stats):
        """(best cosine, coverage, unknown share) of the best topic."""
        if not len(order):
            return 0.0, 0.0, 1.0
        top = int(order[0])
        best_cosine = float(dense[index.chunk_doc == top].max())
        stems = [s for s in index.analyzer.analyze(" ".join(corrected), lang).keys
                 if len(s) > 2]
        coverage, unknown = stats.coverage(stems, top)
        return best_cosine, coverage, unknown

    def confidence(self, best_cosine: float, coverage: float, unknown: float) -> float:
        cfg = self.config
        z = (cfg.confidence_dense_weight * 10 * (best_cosine - 0.85)
             + cfg.confidence_coverage_weight * coverage
             + cfg.confidence_unknown_weight * unknown + cfg.confidence_bias)
        return float(1 / (1 + math.exp(-z)))


class _TopicStats:
    """Which stems each topic contains, how rare each stem is across topics, and
    which topics are out-of-scope redirects (their words are not knowledge: a
    question about hunting licences is no better covered for naming one)."""

    def __init__(self, index: LoadedIndex):
        stems: list[set[str]] = [set() for _ in index.topic_ids]
        redirect = np.zeros(len(index.topic_ids), dtype=bool)
        for i, chunk in enumerate(index.chunks):
            doc = index.documents[(chunk.doc_id, chunk.lang)]
            topic = int(index.chunk_doc[i])
            if doc.kind == "redirect":
                redirect[topic] = True
                continue
            text = f"{doc.title} {chunk.heading} {chunk.text}"
            stems[topic].update(index.analyzer.analyze(text, chunk.lang).keys)
        self.stems = stems
        self.redirect = redirect
        self.df = Counter(s for topic in stems for s in topic)
        self.n = int((~redirect).sum())

    def idf(self, stem: str) -> float:
        return math.log((self.n + 1) / (self.df.get(stem, 0) + 0.5))

    def coverage(self, stems: list[str], topic: int) -> tuple[float, float]:
        """IDF-weighted shares of the question's stems that the topic contains,
        and that no page contains at all; unseen words weigh the most."""
        total = sum(self.idf(s) for s in stems)
        if not total:
            return 0.0, 1.0
        found = sum(self.idf(s) for s in stems if s in self.stems[topic])
        unseen = sum(self.idf(s) for s in stems if s not in self.df)
        return found / total, unseen / total
