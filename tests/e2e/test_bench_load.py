"""scripts/bench_load.py's smoke mode runs end to end: the emulator, a real
`saual run --webhook` process on the fixture knowledge, simulated citizens,
and a report with answered questions and no errors. Not a timing test: the
figures are only checked to be there and consistent."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.e2e


def test_smoke_mode_runs_end_to_end(tmp_path):
    out = tmp_path / "load.md"
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"q": "Как получить удостоверение личности?", "lang": "ru"}\n'
                         '{"q": "Жеке куәлікті қалай аламын?", "lang": "kk"}\n',
                         encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_load.py"), "--smoke", "--sqlite",
         "--questions", str(questions), "--out", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = out.read_text(encoding="utf-8")
    assert report.strip() == done.stdout.strip()
    assert "Database: SQLite" in report and "2 questions (1 kk)" in report
    row = next(line for line in report.splitlines() if line.startswith("| 1 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    total, per_process = float(cells[1]), float(cells[2])
    answered, sent = map(int, cells[6].split(" / "))
    assert total > 0 and total == per_process
    assert 0 < answered == sent
    assert cells[7].startswith("0 (")
    assert float(cells[3]) <= float(cells[4]) <= float(cells[5])  # p50 <= p95 <= p99
    assert re.fullmatch(r"\d+", cells[8]) and int(cells[8]) > 50  # a real process's peak RSS


def test_a_bad_question_file_is_named(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "no q field"}\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_load.py"), "--smoke", "--sqlite",
         "--questions", str(bad)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"{bad}:1: not a question line" in done.stderr
