"""Fault injection (issue 16): a failing line loses nothing and keeps nothing, damaged stores are
reported (checked in a child process: LMDB aborts the process on some damage, so a possibly
damaged store is never opened in the test process), loaded knowledge is confined to its
directory, and hostile input gives the project's own errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lang.errors import SeltzerError
from substrate import Substrate
from substrate.store.elemental import BATCH

from kbgen import console, isolated_home  # noqa: F401  (autouse fixture)

ROOT = Path(__file__).resolve().parent.parent


def _child_count(store: Path, label: str = "st") -> list:
    """The statements of a store as a fresh process sees them (sorted by first argument)."""
    code = ("import sys, json\nfrom substrate.store import StatementStore\n"
            "s = StatementStore(sys.argv[1], create=False)\n"
            "print(json.dumps([list(x) for x, _ in s.scan()], default=str))\ns.close()")
    res = subprocess.run([sys.executable, "-c", code, str(store)], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert res.returncode == 0, res.stderr
    import json
    return json.loads(res.stdout)


def _store_line(path: Path, label: str = "st") -> str:
    return f'{label} {{ class = store, path = "{path}", index = [0] }} {{}}'


# ---- §1 a failing line's store writes ---------------------------------------------------------

def test_a_failing_line_discards_its_pending_store_writes(tmp_path):
    kb, c, out = console()
    path = tmp_path / "st.lmdb"
    assert c.run_line(_store_line(path))
    assert not c.run_line("assert(st(42)), sum(a, 1, :x)")
    assert c.run_line("count(#st(_), :n)")
    assert out[-2] == ":n = 0"
    kb.close()
    assert _child_count(path) == []


def test_a_failing_line_deletes_the_batches_it_committed(tmp_path):
    kb, c, out = console()
    path = tmp_path / "st.lmdb"
    data = tmp_path / "rows.csv"
    n = 2 * BATCH + 100                     # two committed batches and a pending remainder
    data.write_text("".join(f"{i},r{i}\n" for i in range(n)))
    assert c.run_line(_store_line(path))
    assert c.run_line("assert(st(-1, kept))")
    assert not c.run_line(f'console.exec("/import.csv(\\"{data}\\", st, -1, [assert])"), sum(a, 1, :x)')
    assert c.run_line("count(#st(_, _), :n)")
    assert out[-2] == ":n = 1"
    assert c.run_line(f'/import.csv("{data}", st, -1, [assert])')   # a line that succeeds keeps them
    kb.close()
    rows = _child_count(path)
    assert len(rows) == n + 1 and rows[0] == [-1, "kept"] and rows[-1] == [n - 1, f"r{n - 1}"]


def test_a_failing_line_puts_retracted_statements_back_in_order(tmp_path):
    kb, c, out = console()
    path = tmp_path / "st.lmdb"
    assert c.run_line(_store_line(path))
    assert c.run_line("assert(st(1)), assert(st(2)), assert(st(3))")
    assert not c.run_line("retract(st(2)), retract(st(1)), assert(st(4)), sum(a, 1, :x)")
    assert c.run_line("all(:x, #st(:x), :l)")
    assert out[-2] == ":l = [1, 2, 3]"
    kb.close()
    assert _child_count(path) == [[1], [2], [3]]


def test_a_failing_line_undoes_ttl_and_spy(tmp_path):
    kb, c, out = console()
    ttl = kb.ttl
    assert not c.run_line('console.exec("/ttl(5)"), console.exec("/spy(p)"), sum(a, 1, :x)')
    assert kb.ttl == ttl and kb.spies == set()
    assert c.run_line("/spy(q)")
    assert not c.run_line('console.exec("/spy(off)"), sum(a, 1, :x)')
    assert kb.spies == {"q"}


def test_a_failed_load_creates_no_store_folder_and_commits_nothing(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a store")
    kb_file = tmp_path / "bad.kb"
    kb_file.write_text(f'a {{ class = store, path = "{tmp_path / "a.lmdb"}" }} {{ (1); (2); }}\n'
                       f'b {{ class = store, path = "{blocker}" }} {{}}\n')
    kb, c, out = console()
    assert not c.run_line(f'/load("{kb_file}")')
    assert not (tmp_path / "a.lmdb").exists()
    assert str(kb_file) in "\n".join(out) and ":2:" in "\n".join(out)   # names the .kb line
    assert kb.elementals == {}
    # a store created by a failing line is removed too
    assert not c.run_line(f'console.exec("c {{ class = store, path = \\"{tmp_path / "c.lmdb"}\\" }} {{}}"), '
                          'sum(a, 1, :x)')
    assert not (tmp_path / "c.lmdb").exists()
    # an existing store keeps its data; only the failed file's entries go
    existing = tmp_path / "e.lmdb"
    assert c.run_line(_store_line(existing, "e"))
    assert c.run_line("assert(e(7))")
    kb.close()
    kb, c, out = console()
    (tmp_path / "bad2.kb").write_text(f'e2 {{ class = store, path = "{tmp_path / "e2.lmdb"}" }} {{ (5); }}\n'
                                      f'b {{ class = store, path = "{blocker}" }} {{}}\n')
    assert not c.run_line(f'/load("{tmp_path / "bad2.kb"}")')
    kb.close()
    assert not (tmp_path / "e2.lmdb").exists()
    assert _child_count(existing) == [[7]]


# ---- §2 checksums and /check: damaged stores, always read in child processes ------------------

# One Python start-up for many damaged stores: the harness forks a process per store (nothing
# LMDB is open when it forks), so an abort inside LMDB kills only that fork.
HARNESS = r"""
import json, os, sys
from substrate.store.check import walk
from substrate.store import StatementStore
from lang.errors import StoreError

def scan(path):
    try:
        s = StatementStore(path, create=False)
        rows = [list(x) for x, _ in s.scan()]
        s.close()
        return {"rows": rows}
    except StoreError as e:
        return {"error": e.message()}

for path in sys.stdin.read().split("\n"):
    if not path:
        continue
    out = {"path": path}
    for what, fn in (("check", lambda: walk(path)), ("scan", lambda: scan(path))):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                data = json.dumps(fn(), default=str).encode()
            except BaseException as e:            # anything not ours is a finding
                data = json.dumps({"internal": f"{type(e).__name__}: {e}"}).encode()
            os.write(w, data)
            os._exit(0)
        os.close(w)
        chunks = []
        while True:
            b = os.read(r, 1 << 16)
            if not b:
                break
            chunks.append(b)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        out[what] = json.loads(b"".join(chunks)) if os.WIFEXITED(status) and chunks else \
            {"signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}
    print(json.dumps(out), flush=True)
"""


def _harness(paths: list) -> list[dict]:
    import json
    res = subprocess.run([sys.executable, "-c", HARNESS], input="\n".join(map(str, paths)), text=True,
                         capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         timeout=300)
    assert res.returncode == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines()]


def _make_store(path: Path, n: int = 3000) -> list:
    import random
    from substrate.store import StatementStore
    rng = random.Random(5)
    rows = [(i, "".join(rng.choices("ACGT", k=40)), f"tag{i % 7}") for i in range(n)]
    with StatementStore(path, index=(0, 2)) as s:
        for i in range(0, n, 1000):
            s.add_many(rows[i:i + 1000])
    return [list(r) for r in rows]


def test_a_flipped_byte_in_a_record_is_an_error_naming_store_and_key(tmp_path):
    path = tmp_path / "st.lmdb"
    rows = _make_store(path)
    data = path / "data.mdb"
    blob = bytearray(data.read_bytes())
    at = blob.find(rows[1234][1].encode())
    assert at > 0
    blob[at + 5] ^= 0x01                       # ACGT -> another byte: still a valid string
    data.write_bytes(bytes(blob))
    res = subprocess.run([sys.executable, "-m", "repl", "-e", _store_line(path).replace("[0]", "[0, 2]"),
                          "-e", "#st(1234, :s, :t)"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 1
    assert f"{path}: st: record 1234 fails its checksum" in res.stdout or \
        (str(path) in res.stdout and "record 1234 fails its checksum" in res.stdout), res.stdout
    assert "Traceback" not in res.stdout + res.stderr
    res = subprocess.run([sys.executable, "-m", "repl", "check", str(path)], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert res.returncode == 1 and "DAMAGED" in res.stdout and "1 checksum failures" in res.stdout
    assert "record 1234 fails its checksum" in res.stdout


def test_check_reports_a_healthy_store_and_the_console_survives_damage(tmp_path):
    kb, c, out = console()
    path = tmp_path / "st.lmdb"
    assert c.run_line(_store_line(path))
    assert c.run_line("assert(st(1)), assert(st(2))")
    assert c.run_line("/check(st)")
    assert "healthy (full check, seltzer-store/2)" in out[-1] and "2 records" in out[-1]
    assert not c.run_line("/check(nosuch)")
    kb.close()


def test_mutated_pages_never_answer_wrong_data_nor_crash_the_asker(tmp_path):
    import random
    import shutil
    base = tmp_path / "base.lmdb"
    rows = _make_store(base)
    size = (base / "data.mdb").stat().st_size
    psize = 4096
    rng = random.Random(16)
    paths = []
    for k in range(30):
        p = tmp_path / f"m{k}.lmdb"
        shutil.copytree(base, p)
        blob = bytearray((p / "data.mdb").read_bytes())
        page = rng.randrange(2, size // psize)          # the two meta pages are LMDB's own business
        if k % 4 == 0:                                   # a page of garbage
            blob[page * psize:(page + 1) * psize] = rng.randbytes(psize)
        else:                                            # a few bytes of one page
            for _ in range(rng.randint(1, 8)):
                blob[page * psize + rng.randrange(psize)] ^= 1 << rng.randrange(8)
        (p / "data.mdb").write_bytes(bytes(blob))
        paths.append(p)
    results = _harness(paths)
    assert len(results) == len(paths)
    known = {tuple(r) for r in rows}
    detected = 0
    for r in results:
        check, scan = r["check"], r["scan"]
        assert "internal" not in check and "internal" not in scan, r
        if "rows" in scan:
            assert all(tuple(x) in known for x in scan["rows"]), r["path"]   # never a changed answer
        damaged = "signal" in check or not check["ok"]
        if "rows" in scan and scan["rows"] != rows:
            assert damaged, f"{r['path']}: a scan lost statements and the check saw nothing"
        detected += damaged
    assert detected >= len(paths) // 2     # most pages hold data: most mutations must be seen


def test_a_store_not_closed_cleanly_gets_the_quick_check_when_loaded(tmp_path):
    path = tmp_path / "st.lmdb"
    rows = _make_store(path, 500)
    gone = subprocess.run(["true"])                       # a pid that has ended
    dead = subprocess.Popen(["true"])
    dead.wait()
    (path / f"open.{dead.pid}").touch()                   # what a killed process leaves
    blob = bytearray((path / "data.mdb").read_bytes())
    at = blob.find(rows[100][1].encode())
    blob[at] ^= 0x02
    (path / "data.mdb").write_bytes(bytes(blob))
    res = subprocess.run([sys.executable, "-m", "repl", "-e", _store_line(path)], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 1 and "not closed cleanly and its quick check failed" in res.stdout, res.stdout
    assert "record 100 fails its checksum" in res.stdout
    blob[at] ^= 0x02                                      # repaired: the check passes, the marker goes
    (path / "data.mdb").write_bytes(bytes(blob))
    res = subprocess.run([sys.executable, "-m", "repl", "-e", _store_line(path), "-e", "count(#st(_, _, _), :n)"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0 and ":n = 500" in res.stdout, res.stdout
    assert not list(path.glob("open.*"))
    assert gone.returncode == 0


# ---- §3 knowledge is confined to its directory -------------------------------------------------

def _evil(tmp_path: Path) -> tuple[Path, Path, Path]:
    """An untrusted folder with a .kb, a victim file outside it, and a working directory."""
    evil, work = tmp_path / "evil", tmp_path / "work"
    evil.mkdir()
    work.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("secret\n")
    (evil / "rules.kb").write_text(
        'steal { (:x) :- console.exec("/import.txt(\\"' + str(victim) + '\\", got, -1, [assert])"), #got(0, :x); }\n'
        'clobber { () :- console.exec("/save(\\"' + str(victim) + '\\")"); }\n'
        'local { () :- console.exec("/save(\\"out.kb\\")"); }\n')
    (evil / "store.kb").write_text(f'st {{ class = store, path = "{tmp_path / "outside.lmdb"}" }} {{}}\n')
    (evil / "inside.kb").write_text('st { class = store, path = "' + str(evil / "in.lmdb") + '" } {}\n')
    return evil, work, victim


def test_loaded_knowledge_cannot_touch_paths_outside_its_directory(tmp_path, monkeypatch):
    evil, work, victim = _evil(tmp_path)
    monkeypatch.chdir(work)
    kb, c, out = console()
    assert not c.run_line(f'/load("{evil / "store.kb"}")')
    assert "access to " + str(tmp_path / "outside.lmdb") + " refused" in out[-1]
    assert f"{evil / 'store.kb'}:1:1" in out[-1] and "--trust" in out[-1]
    assert not (tmp_path / "outside.lmdb").exists()
    assert c.run_line(f'/load("{evil / "inside.kb"}")')             # its own folder is fine
    assert (evil / "in.lmdb").is_dir()
    assert c.run_line(f'/load("{evil / "rules.kb"}")')
    out.clear()
    assert not c.run_line("#steal(:x)")
    assert f"access to {victim} refused" in "\n".join(out) and "secret" not in "\n".join(out)
    assert not c.run_line("#clobber()")
    assert victim.read_text() == "secret\n"
    assert c.run_line("#local()")                                     # under the current directory
    assert (work / "out.kb").exists()
    assert c.run_line(f'/import.txt("{victim}", mine)')              # the user's own line is not confined
    kb.close()


def test_trust_lets_knowledge_touch_any_path(tmp_path, monkeypatch):
    evil, work, victim = _evil(tmp_path)
    monkeypatch.chdir(work)
    kb, c, out = console(Substrate(trust=True))
    assert c.run_line(f'/load("{evil / "store.kb"}", "{evil / "rules.kb"}")')
    assert c.run_line("#steal(:x)") and out[-2] == ':x = "secret"'
    kb.close()
    res = subprocess.run([sys.executable, "-m", "repl", "--trust", str(evil / "rules.kb"), "-e", "#steal(:x)"],
                         capture_output=True, text=True, cwd=work, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert ':x = "secret"' in res.stdout, res.stdout + res.stderr


def test_a_symlink_out_of_the_directory_is_refused(tmp_path, monkeypatch):
    evil, work, victim = _evil(tmp_path)
    (work / "link").symlink_to(tmp_path)
    monkeypatch.chdir(work)
    kb, c, out = console()
    assert c.run_line(f'/load("{evil / "rules.kb"}")')
    assert not c.run_line('console.exec("/import.txt(\\"link/victim.txt\\", got)")')
    assert "refused" in out[-1]
    kb.close()


# ---- §4 every error is the project's own -------------------------------------------------------

NUL_LINES = [
    '/load("a\\u0000b")', '/load("a\\u0000b.kbz")', '/save("a\\u0000b")', '/save("x\\u0000.kbz")',
    '/import.txt("a\\u0000b", x)', '/import.csv("a\\u0000b", x)', '/import.tome("a\\u0000b", "f", 1)',
    '/import.tome("t.txt", "f\\u0000", 1)', 'x { class = store, path = "a\\u0000b" } {}',
    'x { class = tome, path = "a\\u0000b" } {}', 'console.exec("/load(\\"a\\u0000b\\")")',
    '/import.txt("", x)', '/load("")',
]


@pytest.mark.parametrize("line", NUL_LINES)
def test_nul_bytes_and_empty_paths_are_clear_errors(tmp_path, monkeypatch, line):
    monkeypatch.chdir(tmp_path)
    kb, c, out = console()
    assert not c.run_line(line)
    text = "\n".join(out)
    assert "internal error" not in text and ("NUL byte" in text or "empty" in text), text
    assert kb.elementals == {} and list(tmp_path.iterdir()) == [tmp_path / "home"]
    kb.close()
    with pytest.raises(SeltzerError, match="NUL byte"):
        Substrate().load("a\0b")


def test_nan_and_huge_ttl_are_refused(tmp_path):
    for ttl in ("nan", "inf", "-1", "0", "1e400"):
        res = subprocess.run([sys.executable, "-m", "repl", "--ttl", ttl, "-e", "true"], capture_output=True,
                             text=True, cwd=ROOT, timeout=60)
        assert res.returncode == 2 and "--ttl must be a positive number" in res.stderr, (ttl, res.stderr)
    kb, c, out = console()
    for arg in ("1" + "0" * 400, "0", "-5", "x"):
        assert not c.run_line(f"/ttl({arg})")
        assert "internal" not in out[-1] and "/ttl:" in out[-1] and len(out[-1]) < 200
    assert kb.ttl == 60.0


def test_pow_out_of_range_is_an_evaluation_error():
    kb, c, out = console()
    assert not c.run_line("pow(10.0, 400, :x)")
    assert out[-1] == "error: <query>:1:1: pow: the result of 10.0 ** 400 is too large for a float"


def test_import_tome_checks_before_creating_its_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.txt").write_text("1 W 1 2\n2 W 3 4\n")
    (tmp_path / "afile").write_text("")
    (tmp_path / "bad.txt").write_text("not tome data\n")
    kb, c, out = console()
    for line, expect in [('/import.tome("t.txt", "afile", 1)', "is a file, not a folder"),
                         ('/import.tome("t.txt", "", 1)', "the path is empty"),
                         ('/import.tome("/dev/zero", "f1", 1)', "not a regular file"),
                         ('/import.tome("t.txt", "' + "x" * 300 + '", 1)', "File name too long"),
                         ('/import.tome("bad.txt", "f2", 1)', "bad.txt"),
                         ('/import.tome("nope.txt", "f3", 1)', "no such file")]:
        assert not c.run_line(line)
        assert expect in out[-1] and "internal" not in out[-1], out[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "bad.txt", "home", "t.txt"]
    assert c.run_line('/import.tome("t.txt", "ok", 1)')


FULL_DISK = r"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
import repl
sys.exit(repl.main(sys.argv[1:]))
"""


def test_a_full_disk_is_a_clear_store_error_and_loses_nothing_committed(tmp_path):
    with open(tmp_path / "rows.csv", "w") as f:
        for i in range(40_000):
            f.write(f"{i},row{i}{'x' * 40}\n")
    res = subprocess.run([sys.executable, "-c", FULL_DISK, "-e", _store_line(tmp_path / "full.lmdb"),
                          "-e", "assert(st(-1, kept))",
                          "-e", f'/import.csv("{tmp_path / "rows.csv"}", st, -1, [assert])',
                          "-e", "count(#st(_, _), :n)"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "the disk is full" in res.stdout and "Traceback" not in res.stdout + res.stderr, (res.stdout, res.stderr, res.returncode)
    assert str(tmp_path / "full.lmdb") in res.stdout and "?- count(" in res.stdout
    rows = _child_count(tmp_path / "full.lmdb")
    assert rows[0] == [-1, "kept"]
    # the failed line's committed batches are gone, or the console said they could not be
    assert len(rows) == 1 or "could not undo part of the failed line" in res.stdout
