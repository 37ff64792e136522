"""Example questions and near misses for the fixture knowledge: with them a
build trains a topic model (importable by any test module)."""

from __future__ import annotations

from pathlib import Path

QUESTIONS = {
    ("id-card", "ru"): ["где получить удостоверение личности", "удо в 16 лет где делать",
                        "сколько стоит замена удостоверения"],
    ("id-card", "kk"): ["жеке куәлікті қайдан аламын", "16 жаста жеке куәлік алу",
                        "жеке куәлікті ауыстыру қанша тұрады"],
    ("residence-registration", "ru"): ["как прописаться в квартире", "прописка онлайн",
                                       "временная регистрация по месту жительства"],
    ("residence-registration", "kk"): ["тұрғылықты жерге тіркелу", "пәтерге тіркелу онлайн",
                                       "уақытша тіркеу қалай жасалады"],
    ("polling-station", "ru"): ["где мой избирательный участок", "куда идти голосовать",
                                "номер участка для голосования"],
    ("polling-station", "kk"): ["сайлау учаскесі қайда", "қай жерде дауыс беремін",
                                "менің сайлау учаскем"],
}

NEAR_MISSES = """\
id-card:
  ru:
    - как получить водительское удостоверение в России
    - удостоверение тракториста в частной автошколе цена
  kk:
    - банк картасын қалай ашамын
"""


def with_questions(knowledge: Path) -> Path:
    """The fixture knowledge with example questions and near misses."""
    for (tid, lang), questions in QUESTIONS.items():
        page = next(knowledge.glob(f"pages/*/{tid}.{lang}.md"))
        head, sep, body = page.read_text(encoding="utf-8")[4:].partition("\n---\n")
        listed = "".join(f"  - {q}\n" for q in questions)
        page.write_text(f"---\n{head}\nquestions:\n{listed.rstrip()}{sep}{body}",
                        encoding="utf-8")
    (knowledge / "near_misses").mkdir()
    (knowledge / "near_misses" / "documents.yaml").write_text(NEAR_MISSES, encoding="utf-8")
    return knowledge

# An out-of-scope theme (knowledge/out_of_scope.yaml) for the fixture knowledge.
HUNTING_THEME = (
    "themes:\n  - id: hunting\n    agency: mvd\n"
    "    title: {kk: Аң аулау және аңшы куәлігі, ru: Охота и охотничий билет}\n"
    "    keywords:\n      kk: [аң аулау, аңшы куәлігі, аң аулауға рұқсат]\n"
    "      ru: [охота, охотничий билет, разрешение на охоту]\n")
