"""Every knowledge file shipped in kb/ opens with a comment and loads without error."""
import os
from pathlib import Path

import pytest

from substrate import Substrate

ROOT = Path(__file__).resolve().parent.parent
KB_FILES = sorted(p for p in (ROOT / "kb").rglob("*.kb"))


def test_there_are_example_files():
    assert len(KB_FILES) >= 4


@pytest.mark.parametrize("path", KB_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_kb_file_opens_with_a_comment_and_loads(path, tmp_path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("//"), "a kb/ file opens with a comment saying what it demonstrates"
    monkeypatch.chdir(tmp_path)  # store files (data/...) are created under the test's folder
    os.makedirs("data", exist_ok=True)
    kb = Substrate()
    try:
        [result] = kb.load(str(path))
        assert result.error is None, result.error
        assert result.elementals
    finally:
        kb.close()


def test_family_answers():
    kb = Substrate()
    kb.load(str(ROOT / "kb" / "family.kb"))
    assert sorted(a["who"].name for a in kb.query("#grandparent(tom, :who)")) == ["ann", "pat"]
    assert sorted(a["a"].name for a in kb.query("#ancestor(:a, jim)")) == ["bob", "pat", "tom"]
    assert sorted(a["p"].name for a in kb.query("#childless(:p)")) == ["ann", "jim", "liz"]


def test_dna_answers():
    kb = Substrate()
    kb.load(str(ROOT / "kb" / "dna.kb"))
    assert list(kb.query('#revcomp("GATTACA", :r)')) == [{"r": "TGTAATC"}]
    answers = [(a["name"].name, a["pos"], t) for a, t in kb.solve('#motif.at(:name, "TAC", :pos)')]
    assert answers == [("r1", 3, 1.0), ("r2", 3, 0.8)]
