"""The question as the index will read it: language, Latin script, typos.

:class:`QueryProcessor` holds what one index build's vocabulary offers (its
words, their stems and loose keys) and turns a citizen's text into its
language, its words after transliteration and correction, and the text for
the encoder. A new build gets a new processor (:mod:`embeddings.search`).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from .langs import LANGS, Lang
from .normalize import (
    KK_LETTERS,
    detect_lang,
    fold,
    has_latin,
    kk_stem,
    loose,
    ru_stem,
    translit_word,
    visible,
    words,
)

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)

# Kazakh voices a final к/қ/п before a vowel ending: куәлік -> куәлігі, кітап -> кітабы.
_ALTERNATION = {("к", "г"), ("п", "б")}
_VOICED = {"к": "г", "қ": "ғ", "п": "б"}


# rapidfuzz ratio a vocabulary word must reach to replace a word the index has never seen
TYPO_CUTOFF = 84.0


def _kk_count(word: str) -> int:
    return sum(ch in KK_LETTERS for ch in word)


def _voiced(letter: str) -> str:
    return _VOICED.get(letter, letter)


class QueryProcessor:
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
        if lang == Lang.RU and restored and restored * 3 >= len(ws):
            lang = "kk"
        changes = {r: c for r, c in zip(raw, corrected, strict=True) if r != c}
        dense_text = visible(text).strip()
        if changes:
            dense_text = _WORD_RE.sub(
                lambda m: changes.get(m.group().casefold().replace("ё", "е"), m.group()),
                dense_text,
            )
        return lang, ws, corrected, dense_text

    def _transliterate(self, ws: list[str], lang: str) -> tuple[list[str], str]:
        latin = [bool(re.search(r"[a-zäöüışğñūç]", w)) for w in ws]
        options = {}
        for table in LANGS:
            conv = [translit_word(w, table) if is_lat else w
                    for w, is_lat in zip(ws, latin, strict=True)]
            hits = sum(self.known(w) for w, is_lat in zip(conv, latin, strict=True) if is_lat)
            options[table] = (hits, conv)
        kk_hits, kk_words = options["kk"]
        ru_hits, ru_words = options["ru"]
        # Brand names typed in Latin (eGov, WhatsApp) stay as they are when the
        # index knows them in Latin.
        keep = [w in self.vocab_set for w in ws]
        if lang == Lang.KK or kk_hits > ru_hits:
            chosen, lang = kk_words, "kk"
        else:
            chosen = ru_words
        return [w if k else c for w, c, k in zip(ws, chosen, keep, strict=True)], lang
