"""/save never destroys what it should not (issue 10 §3): through a symlink it writes the file
pointed to (atomically), modes follow the existing file or the umask, and a path that is not
a regular file is refused."""
from __future__ import annotations

import os
import stat

import pytest

from substrate import Substrate
from substrate.console import Console

from kbgen import isolated_home  # noqa: F401  (autouse fixture: HOME in a temporary folder)


@pytest.fixture
def con():
    kb = Substrate()
    out: list[str] = []
    c = Console(kb, out=out.append)
    assert c.run_line("p { (1); (2); }")
    out.clear()
    yield c, out
    kb.close()


@pytest.mark.parametrize("ext", ["kb", "kbz"])
def test_saving_to_a_symlink_writes_its_target(con, tmp_path, ext):
    c, out = con
    target = tmp_path / "data" / f"real.{ext}"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / f"link.{ext}"
    link.symlink_to(target)
    assert c.run_line(f'/save("{link}")'), out
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != b"old" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left
    again = Substrate()
    again.load(str(link))
    assert [a["x"] for a in again.query("#p(:x)")] == [1, 2]


def test_a_dangling_symlink_creates_its_target(con, tmp_path):
    c, out = con
    link = tmp_path / "link.kb"
    link.symlink_to(tmp_path / "new.kb")
    assert c.run_line(f'/save("{link}")'), out
    assert link.is_symlink() and (tmp_path / "new.kb").read_text().startswith("// saved by seltzer")


def test_a_new_file_follows_the_umask(con, tmp_path):
    c, out = con
    for mask, mode in [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)]:
        old = os.umask(mask)
        try:
            path = tmp_path / f"new-{mask:o}.kb"
            assert c.run_line(f'/save("{path}")'), out
        finally:
            os.umask(old)
        assert stat.S_IMODE(path.stat().st_mode) == mode, (oct(mask), oct(path.stat().st_mode))


def test_an_existing_file_keeps_its_mode(con, tmp_path):
    c, out = con
    path = tmp_path / "kept.kb"
    path.write_text("old")
    os.chmod(path, 0o604)
    assert c.run_line(f'/save("{path}")'), out
    assert stat.S_IMODE(path.stat().st_mode) == 0o604 and path.read_text() != "old"


def test_paths_that_are_not_regular_files_are_refused(con, tmp_path):
    c, out = con
    fifo = tmp_path / "fifo.kb"
    os.mkfifo(fifo)
    folder = tmp_path / "dir.kb"
    folder.mkdir()
    link = tmp_path / "null.kb"
    link.symlink_to("/dev/null")
    for path in ["/dev/null", str(fifo), str(folder), str(link)]:
        out.clear()
        assert not c.run_line(f'/save("{path}")')
        assert out == [f"error: cannot write {path}: not a regular file"], out
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and folder.is_dir() and link.is_symlink()
    assert os.readlink(link) == "/dev/null" and stat.S_ISCHR(os.stat("/dev/null").st_mode)
