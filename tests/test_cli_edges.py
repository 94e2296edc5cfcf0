"""The command line's edges (issue 10 §2, §5; issue 15 §4): no Python traceback ever reaches a
user, --version, --json details, and running out of memory costs only the line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kbgen import isolated_home  # noqa: F401  (autouse fixture: HOME in a temporary folder)

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], home: Path, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, **kw)


def seltzer(*args: str, home: Path) -> subprocess.CompletedProcess:
    return _run([sys.executable, "repl.py", *args], home, input="")


def test_version(isolated_home):
    r = seltzer("--version", home=isolated_home)
    assert r.returncode == 0 and r.stdout.startswith("seltzer 0.") and r.stderr == ""


def test_a_closed_pipe_ends_quietly(isolated_home):
    cmd = (f"{sys.executable} repl.py -e 'nat {{ (0); (:n) :- #nat(:m), sum(:m, 1, :n); }}' -e '#nat(:x)' "
           f"| head -3")
    r = _run(["bash", "-o", "pipefail", "-c", cmd], isolated_home)
    assert r.stdout.count("\n") == 3 and r.stderr == "", r.stderr
    assert r.returncode == 141


def test_messages_print_terms_in_the_languages_syntax(isolated_home):
    r = seltzer("-e", "p { (1, a); }", "-e", "/poke(p, index, foo)", "-e", "u { class = bogus } {}",
                "-e", "v { index = [0, bar] } { (1); }", home=isolated_home)
    assert "error: index must be an integer or a list of integers, found foo" in r.stdout
    assert "unknown class bogus for u" in r.stdout
    assert "index positions must be integers >= 0, found bar" in r.stdout
    assert "Symbol(" not in r.stdout and "Traceback" not in r.stdout + r.stderr


def test_json_load_with_a_missing_file_is_not_ok(tmp_path, isolated_home):
    a = tmp_path / "a.kb"
    a.write_text("a { (1); }\n")
    r = seltzer("--json", "-e", f'/load("{a}", "{tmp_path / "missing.kb"}")', home=isolated_home)
    objs = [json.loads(x) for x in r.stdout.splitlines()]
    assert "no such file" in objs[0]["error"]
    assert objs[1]["command"].startswith("/load(") and objs[1]["ok"] is False
    assert r.returncode == 1


def test_json_a_variable_named_truth_keeps_its_value(isolated_home):
    r = seltzer("--json", "-e", "p { (yes) := 0.5; }", "-e", "#p(:truth)", home=isolated_home)
    q = json.loads(r.stdout.splitlines()[1])
    assert q["solutions"] == [{"truth": "yes", "$truth": 0.5}]


def test_running_out_of_memory_costs_the_line_only(tmp_path, isolated_home):
    prog = tmp_path / "oom.py"
    prog.write_text(
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "import repl\n"
        "sys.exit(repl.main(sys.argv[1:]))\n")
    r = _run([sys.executable, str(prog), "-e", "grow { (:s) :- str.concat([:s, :s], :t), #grow(:t); }",
              "-e", 'assert(kept(1)), #grow("ab")', "-e", "count(#kept(_), :n)", "-e", "sum(1, 2, :x)"],
             isolated_home, input="")
    out = r.stdout.splitlines()
    assert "error: out of memory: the line's work was undone" in out
    assert ":n = 0" in out and ":x = 3" in out
    assert "Traceback" not in r.stdout + r.stderr and r.returncode == 1
