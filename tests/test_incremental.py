"""Incremental updates: re-index only what changed, remove sources, match a fresh build."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import index
import qa
from index import build_index
from index._remove import remove_source, remove_sources
from index._store import open_store
from tests.fakes import FakeEmbedder
from tests.reliability_child import write_docs
from ui.cli import main

QUESTIONS = (
    "What depends on the yeast?",
    "Where do apples grow in autumn?",
    "crater ash lava",
    "Which note mentions the comets and the orbit?",
    "bridge over the flood",
    "document number 7",
)


def _view(out: Path) -> dict[str, Any]:
    """What a reader gets from an index: its content and the answers to fixed questions."""
    store = open_store(out)
    bot = qa.load(out, embedder=FakeEmbedder())
    return {
        "sources": [s.source for s in store.manifest.sources],
        "hashes": [s.sha256 for s in store.manifest.sources],
        "passages": store.passages.tolist(),
        "sentences": store.sentences.tolist(),
        "vectors": store.vectors.reconstruct_n(0, len(store)),
        "retrieved": [
            [(p.source, p.start, p.end, round(p.score, 6), round(p.similarity, 5)) for p in hits]
            for hits in (bot.retrieve(q, k=8, mode=m) for q in QUESTIONS for m in qa.MODES)
        ],
        "answers": [bot.ask(q).quotes for q in QUESTIONS],
    }


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["sources"] == b["sources"]
    assert a["hashes"] == b["hashes"]
    assert a["passages"] == b["passages"]
    assert a["sentences"] == b["sentences"]
    assert np.array_equal(a["vectors"], b["vectors"])
    assert a["retrieved"] == b["retrieved"]
    assert a["answers"] == b["answers"]


def _fresh(docs: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"fresh-{random.randrange(10**9)}"
    build_index([docs], out, embedder=FakeEmbedder())
    view = _view(out)
    shutil.rmtree(out)
    return view


def test_update_embeds_only_changed_sources_and_equals_a_fresh_build(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_docs(docs, 20, seed=1)
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    store = open_store(out)
    per_source = {s.source: s.passages for s in store.manifest.sources}

    (docs / "doc-003.txt").write_text("The bread rose in the oven overnight.\n", encoding="utf-8")
    (docs / "doc-011.txt").unlink()
    (docs / "doc-900.txt").write_text("A comet's tail points away from the sun.\n")
    counting = FakeEmbedder()
    report = build_index([docs], out, embedder=counting)

    assert report.removed == ("doc-011.txt",)
    new_counts = {s.source: s.passages for s in open_store(out).manifest.sources}
    changed = new_counts["doc-003.txt"] + new_counts["doc-900.txt"]
    assert report.embedded == changed == counting.embedded  # nothing else was re-embedded
    assert (
        report.reused
        == sum(per_source.values()) - per_source["doc-011.txt"] - per_source["doc-003.txt"]
    )
    _same(_view(out), _fresh(docs, tmp_path))


def test_unchanged_rebuild_embeds_nothing(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_docs(docs, 10)
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    before = _view(out)
    counting = FakeEmbedder()
    report = build_index([docs], out, embedder=counting)
    assert counting.embedded == 0 and report.embedded == 0 and report.reused == report.passages
    _same(_view(out), before)


def test_random_edit_sequences_match_fresh_builds(tmp_path: Path) -> None:
    rng = random.Random(11)
    docs = tmp_path / "docs"
    write_docs(docs, 12, seed=9)
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    for step in range(12):
        files = sorted(docs.iterdir())
        action = rng.choice(["edit", "add", "delete", "remove", "touch"])
        if action == "edit":
            victim = rng.choice(files)
            victim.write_text(victim.read_text() + f" An extra line {step} about lava.\n")
        elif action == "add":
            write_docs(tmp_path / "extra", 1, seed=100 + step)
            shutil.move(tmp_path / "extra" / "doc-000.txt", docs / f"new-{step}.txt")
        elif action == "delete" and len(files) > 2:
            rng.choice(files).unlink()
        elif action == "remove" and len(files) > 2:
            victim = rng.choice(files)
            remove_source(out, victim.name)
            victim.unlink()
            _same(_view(out), _fresh(docs, tmp_path))
            continue
        elif action == "touch":  # same bytes, new modification time: nothing to redo
            victim = rng.choice(files)
            victim.write_bytes(victim.read_bytes())
        build_index([docs], out, embedder=FakeEmbedder())
        _same(_view(out), _fresh(docs, tmp_path))


def test_remove_source_equals_a_fresh_build_without_it(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_docs(docs, 8)
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    report = remove_sources(out, ["doc-002.txt", "doc-005.txt"])
    assert report.removed == ("doc-002.txt", "doc-005.txt") and report.embedded == 0
    (docs / "doc-002.txt").unlink()
    (docs / "doc-005.txt").unlink()
    _same(_view(out), _fresh(docs, tmp_path))
    assert report.documents == 6 and report.passages == len(open_store(out))


def test_remove_errors(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_docs(docs, 2)
    out = tmp_path / "idx"
    build_index([docs], out, embedder=FakeEmbedder())
    before = _view(out)
    with pytest.raises(qa.DocumentError, match=r"no source 'nope\.txt'.*doc-000\.txt"):
        remove_source(out, "nope.txt")
    with pytest.raises(qa.EmptyCorpusError, match="empty"):
        remove_sources(out, ["doc-000.txt", "doc-001.txt"])
    _same(_view(out), before)  # a refused removal changes nothing
    with pytest.raises(qa.IndexNotFoundError):
        remove_source(tmp_path / "missing", "doc-000.txt")
    assert not (tmp_path / "missing").exists()


def test_qa_remove_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa._bot

    monkeypatch.setattr(index, "load_embedder", lambda name, **_: FakeEmbedder())
    monkeypatch.setattr(qa._bot, "load_embedder", lambda name, **_: FakeEmbedder())
    docs = tmp_path / "docs"
    write_docs(docs, 3)
    out = tmp_path / "idx"
    assert main(["index", str(docs), "--out", str(out), "--quiet", "--chunk-tokens", "30"]) == 0
    capsys.readouterr()
    assert main(["remove", "doc-001.txt", "--index", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("removed doc-001.txt from") and "2 document(s)" in err
    assert [s.source for s in open_store(out).manifest.sources] == ["doc-000.txt", "doc-002.txt"]
    assert main(["remove", "doc-001.txt", "--index", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa: error: no source 'doc-001.txt'") and err.count("\n") == 1
    # Indexing the folder again brings it back, re-embedding only that file.
    assert main(["index", str(docs), "--out", str(out), "--quiet", "--chunk-tokens", "30"]) == 0
    assert "reused" in capsys.readouterr().err
    assert len(open_store(out).manifest.sources) == 3
