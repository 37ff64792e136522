import json
import os

import pytest

from embeddings import (
    IndexMismatch,
    IndexNotFound,
    SearchEngine,
    build_index,
    current_build,
    load_index,
    load_knowledge,
)


def test_round_trip_and_manifest(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    report = build_index(load_knowledge(knowledge), encoder, root)
    assert current_build(root) == report.build_id
    manifest = json.loads((root / report.build_id / "manifest.json").read_text())
    assert manifest["encoder"] == {"name": "test-hash", "version": "1", "dim": 256}
    assert manifest["metric"] == "inner_product" and manifest["normalized"] is True
    assert manifest["corpus"]["documents"] == 6 and manifest["corpus"]["chunks"] == report.chunks
    loaded = load_index(root, encoder)
    assert loaded.dense.ntotal == len(loaded.chunks) == report.chunks
    assert set(loaded.topic_ids) == {"id-card", "residence-registration", "polling-station"}


def test_load_refuses_another_encoder(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)

    class Other(type(encoder)):
        name = "another-model"
        dim = 256

    with pytest.raises(IndexMismatch, match="encoder 'test-hash' \\(configured: 'another-model'"):
        load_index(root, Other())

    class Wider(type(encoder)):
        dim = 384

    with pytest.raises(IndexMismatch, match="dimension 256"):
        load_index(root, Wider())


def test_missing_index_is_a_clear_error(tmp_path, encoder):
    with pytest.raises(IndexNotFound, match="saual index"):
        load_index(tmp_path / "nothing", encoder)


def test_rebuild_after_editing_one_page_embeds_only_that_page(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    first = build_index(load_knowledge(knowledge), encoder, root)
    assert first.embedded == first.chunks
    page = knowledge / "pages/documents/id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "Документ действует 10 лет.", "Документ действует 10 лет. Новое предложение."),
        encoding="utf-8")
    second = build_index(load_knowledge(knowledge), encoder, root)
    assert second.embedded == 1  # only the edited section
    assert second.build_id != first.build_id and current_build(root) == second.build_id
    third = build_index(load_knowledge(knowledge), encoder, root)
    assert third.embedded == 0


def test_old_builds_are_pruned_but_current_kept(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    ids = [build_index(load_knowledge(knowledge), encoder, root).build_id for _ in range(5)]
    kept = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert ids[-1] in kept and len(kept) == 3


def test_engine_picks_up_a_new_build_without_restart(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)
    engine = SearchEngine.open(root, encoder)
    old = engine.index.build_id
    page = knowledge / "pages/documents/id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "title: Получение удостоверения личности", "title: Удостоверение личности, как получить"),
        encoding="utf-8")
    new = build_index(load_knowledge(knowledge), encoder, root).build_id
    before = engine.index  # a request in flight keeps this object
    assert engine.reload(force=True)
    assert engine.index.build_id == new != old
    assert before.build_id == old and before.dense.ntotal > 0
    hit = engine.search("удостоверение личности").hits[0]
    assert hit.title == "Удостоверение личности, как получить"
    # a vanished pointer keeps the build in service
    os.remove(root / "CURRENT")
    assert not engine.reload(force=True) and engine.index.build_id == new


def test_a_broken_published_build_keeps_the_old_one_serving(knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    build_index(load_knowledge(knowledge), encoder, root)
    engine = SearchEngine.open(root, encoder)
    serving = engine.index.build_id
    page = knowledge / "pages/documents/id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n## Ещё\nТекст.\n", encoding="utf-8")
    broken = build_index(load_knowledge(knowledge), encoder, root).build_id
    (root / broken / "dense.faiss").write_bytes(b"not an index")
    assert not engine.reload(force=True)
    assert engine.index.build_id == serving
    assert engine.search("прописка").hits[0].id == "residence-registration"
    assert not engine.reload(force=True)  # not retried until CURRENT changes
