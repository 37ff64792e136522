"""scripts/bench.py's table of hit@1 by kind of question (issue 14 asks for it
on every question set, before and after)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_kind_cell_is_hit_at_1_of_its_in_scope_questions(bench):
    by_kind = {
        "plain": {"n_in_scope": 4, "hit@1": 0.75},
        "situation": {"n_in_scope": 0, "hit@1": None},  # out-of-scope questions only
        "translit": {"n_in_scope": 3, "hit@1": 1.0},
        "latin": {"n_in_scope": 1, "hit@1": 0.0},
    }
    cells = dict(zip([name for name, _ in bench.KINDS], bench.kind_cells(by_kind), strict=True))
    assert cells["plain"] == "0.750 (4)"
    assert cells["situation"] == "-"
    assert cells["keyword"] == "-"
    # translit and latin are one column: (3 * 1.0 + 1 * 0.0) / 4
    assert cells["Latin script"] == "0.750 (4)"
    # 21 of 22, which evaluate() gives rounded as 0.9545: 0.955, not 0.954
    assert bench.kind_cells({"synonym": {"n_in_scope": 22, "hit@1": 0.9545}})[2] == "0.955 (22)"


def test_the_table_has_one_row_per_set_and_run(bench):
    lines = bench.kind_table([("dev", "engine default", {"plain": {"n_in_scope": 2,
                                                                   "hit@1": 0.5}}),
                              ("dev", "before", {})])
    header, rule, *rows = lines
    assert header.count("|") == rule.count("|") == len(bench.KINDS) + 3
    assert rows[0].startswith("| dev | engine default | 0.500 (2) | - |")
    assert rows[1] == "| dev | before | " + " | ".join(["-"] * len(bench.KINDS)) + " |"

