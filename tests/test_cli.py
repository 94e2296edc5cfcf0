"""The command line end to end (SPEC section 10): `python repl.py ...` in a subprocess, its exact
text output, its JSON objects, scripts with multi-line definitions, and its exit status.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_TIMING = re.compile(r" in [0-9]+(?:\.[0-9]+)? (?:ms|s)\b")

FAMILY = """// parents, with one uncertain statement
parent { (tom, bob); (bob, ann); (bob, pat) := 0.8; }
gp {
    (:x, :z) :- #parent(:x, :y), #parent(:y, :z);
}
"""

SCRIPT = """// a script: definitions may span lines; comment lines and blank lines are skipped
path {
    (:x, :y) :- #edge(:x, :y);
    (:x, :z) :- #edge(:x, :y), #path(:y, :z);
}
edge { (a, b); (b, c); }

#path(a, :x)
sum(a, 1, :x)
#path(:x, c)
"""

SCRIPT_TRANSCRIPT = """?- path {
    (:x, :y) :- #edge(:x, :y);
    (:x, :z) :- #edge(:x, :y), #path(:y, :z);
}
% defined path (rules, 2)
?- edge { (a, b); (b, c); }
% defined edge (facts, 2)
?- #path(a, :x)
:x = b
:x = c
% 2 solutions
?- sum(a, 1, :x)
error: {script}:9:1: sum: argument 1: expected a number, found a
?- #path(:x, c)
:x = b
:x = a
% 2 solutions
"""


def seltzer(*args: str, stdin: str | None = None, home: Path) -> subprocess.CompletedProcess:
    """Run `python repl.py ARGS` from the repository root with an isolated HOME."""
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "repl.py", *args], cwd=ROOT, input=stdin if stdin is not None else "",
                          capture_output=True, text=True, timeout=120, env=env)


def untimed(text: str) -> str:
    """Remove the timings: '% 2 solutions in 0.41 ms' -> '% 2 solutions'."""
    return "\n".join(_TIMING.sub("", line, count=1) if line.startswith("%") else line
                     for line in text.split("\n"))


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "family.kb").write_text(FAMILY, encoding="utf-8")
    (tmp_path / "script.txt").write_text(SCRIPT, encoding="utf-8")
    return tmp_path


# ---- text output ----------------------------------------------------------------------------------

def test_a_script_prints_the_section_10_transcript(files):
    r = seltzer("--script", str(files / "script.txt"), home=files)
    assert untimed(r.stdout) == SCRIPT_TRANSCRIPT.replace("{script}", str(files / "script.txt"))
    assert r.returncode == 1          # one line failed; the lines after it still ran
    assert "Traceback" not in r.stderr


def test_files_load_first_then_e_lines_in_order(files):
    kb = files / "family.kb"
    r = seltzer(str(kb), "-e", "#gp(tom, :z)", "-e", "#parent(tom, bob)", "-e", "#parent(ann, :x)",
                "-e", "#nobody(1)", home=files)
    assert r.returncode == 0, r.stderr
    assert untimed(r.stdout).splitlines() == [
        f'?- /load("{kb}")',
        f"% loaded {kb}: 2 elementals, 4 entries",
        "?- #gp(tom, :z)",
        ":z = ann",
        ":z = pat := 0.80",
        "% 2 solutions",
        "?- #parent(tom, bob)",
        "yes",
        "% 1 solution",
        "?- #parent(ann, :x)",
        "% 0 solutions",
        "?- #nobody(1)",
        "% 0 solutions (warning: no elemental holds nobody/1)",
    ]


def test_the_summary_line_shows_the_elapsed_time(files):
    r = seltzer("-e", "true", home=files)
    assert re.fullmatch(r"\?- true\nyes\n% 1 solution in [0-9]+\.[0-9]+ (ms|s)\n", r.stdout), r.stdout


def test_a_script_runs_after_the_files_and_before_the_e_lines(files):
    r = seltzer(str(files / "family.kb"), "--script", str(files / "script.txt"), "-e", "#edge(:x, c)", home=files)
    lines = untimed(r.stdout).splitlines()
    assert lines[0].startswith("?- /load(")
    assert lines[2] == "?- path {"
    assert lines[-3:] == ["?- #edge(:x, c)", ":x = b", "% 1 solution"]


def test_a_syntax_error_shows_the_line_and_a_caret(files):
    r = seltzer("-e", "#p(:x) @ 1", "-e", "true", home=files)
    lines = r.stdout.splitlines()
    assert lines[0] == "?- #p(:x) @ 1"
    assert lines[1].startswith("error: <query>:1:8: unexpected character '@'")
    assert lines[2] == "    #p(:x) @ 1"
    assert lines[3] == "    " + " " * 7 + "^"
    assert lines[4:6] == ["?- true", "yes"]
    assert r.returncode == 1


def test_a_definition_error_in_a_script_points_into_the_script(files):
    # BUG: the location is "<console>:2:9" (relative to the definition), not the script's file:line:col
    script = files / "bad.txt"
    script.write_text("ok { (1); }\n\nbad {\n    (1) (2);\n}\n#ok(:x)\n", encoding="utf-8")
    r = seltzer("--script", str(script), home=files)
    assert r.returncode == 1
    assert f"error: {script}:4:9: unexpected '('" in r.stdout
    assert untimed(r.stdout).splitlines()[-2:] == [":x = 1", "% 1 solution"]


def test_stdin_that_is_not_a_terminal_runs_as_a_script(files):
    r = seltzer(stdin="#edge(:x, :y)\nedge {\n  (1, 2);\n}\n#edge(:x, :y)\n", home=files)
    assert r.returncode == 0, r.stderr
    assert untimed(r.stdout).splitlines() == [
        "?- #edge(:x, :y)",
        "% 0 solutions (warning: no elemental holds edge/2)",
        "?- edge {", "  (1, 2);", "}",
        "% defined edge (facts, 1)",
        "?- #edge(:x, :y)",
        ":x = 1, :y = 2",
        "% 1 solution",
    ]


def test_console_output_comes_before_the_answer(files):
    r = seltzer("-e", 'console.puts("n = ", 1), console.puts([a, "b"])', home=files)
    assert untimed(r.stdout).splitlines() == ['?- console.puts("n = ", 1), console.puts([a, "b"])',
                                              "n = 1", '[a, "b"]', "yes", "% 1 solution"]


# ---- JSON ---------------------------------------------------------------------------------------------

def test_json_query_objects(files):
    kb = files / "family.kb"
    r = seltzer(str(kb), "--json", "-e", "#gp(tom, :z)", "-e", 'eq(:s, "a\\"b"), eq(:l, [1, \'x y\' | z])',
                "-e", "#gp(ann, :z)", home=files)
    assert r.returncode == 0, r.stderr
    load, q1, q2, q3 = json_lines(r.stdout)
    assert load == {"command": f'/load("{kb}")', "ok": True, "message": load["message"]}
    assert load["message"].startswith(f"loaded {kb}: 2 elementals, 4 entries")
    assert set(q1) == {"query", "solutions", "count", "elapsed", "partial"}
    assert q1["query"] == "#gp(tom, :z)"
    assert q1["solutions"] == [{"z": "ann"}, {"z": "pat", "truth": 0.8}]
    assert q1["count"] == 2 and q1["partial"] is False
    assert isinstance(q1["elapsed"], float) and 0 <= q1["elapsed"] < 10
    # values are terms printed in the language's syntax
    assert q2["solutions"] == [{"s": '"a\\"b"', "l": "[1, 'x y' | z]"}]
    assert q3["solutions"] == [] and q3["count"] == 0


def test_json_prints_no_echo_lines(files):
    r = seltzer("--json", "--script", str(files / "script.txt"), home=files)
    objs = json_lines(r.stdout)
    assert len(objs) == 5
    assert [sorted(o) for o in objs[:2]] == [["command", "message", "ok"]] * 2
    assert objs[2]["solutions"] == [{"x": "b"}, {"x": "c"}]
    # errors point into the script: file:line:col of the failing line
    assert objs[3] == {"error": "sum: argument 1: expected a number, found a",
                       "where": f"{files / 'script.txt'}:9:1"}
    assert objs[4]["solutions"] == [{"x": "b"}, {"x": "a"}]
    assert r.returncode == 1


def test_json_errors_say_where(files):
    rule = files / "rule.kb"
    rule.write_text("r {\n    (:x, :n) :- str.len(:x, :n);\n}\n", encoding="utf-8")
    r = seltzer(str(rule), "--json", "-e", "#r(1, :n)", "-e", "#r(:x", "-e", "eq(:x, \"\\q\")",
                "-e", "nosuch(1)", "-e", "/nosuch", home=files)
    objs = json_lines(r.stdout)
    assert objs[0]["ok"] is True
    assert objs[1] == {"error": "str.len: argument 1: expected a string or symbol, found 1",
                       "where": f"{rule}:2:17"}
    assert objs[2]["where"] == "<query>:1:3" and objs[2]["error"] == "'(' is not closed (expected ')')"
    assert objs[3]["where"] == "<query>:1:8" and objs[3]["error"].startswith("unknown escape")
    assert objs[4]["where"] == "<query>:1:1" and objs[4]["error"].startswith("unknown primitive nosuch/1")
    assert objs[5]["error"].startswith("unknown command /nosuch")
    assert r.returncode == 1


def test_json_warnings_and_partial_answers(files):
    loop = files / "loop.kb"
    loop.write_text("nat { (0); (:n) :- #nat(:m), sum(:m, 1, :n); }\n", encoding="utf-8")
    r = seltzer(str(loop), "--json", "--ttl", "0.5", "-e", "#nat(:n)", "-e", "#ghost", home=files)
    _, nat, ghost = json_lines(r.stdout)
    assert nat["partial"] is True
    assert nat["count"] == len(nat["solutions"]) > 1
    assert nat["solutions"][:2] == [{"n": "0"}, {"n": "1"}]
    assert ghost["partial"] is False and ghost["count"] == 0
    assert ghost["warnings"] == ["no elemental holds ghost/0"]
    assert r.returncode == 0


def test_text_partial_answer_warning(files):
    loop = files / "loop.kb"
    loop.write_text("loop { (:x) :- #loop(:x); }\n", encoding="utf-8")
    r = seltzer(str(loop), "--ttl", "0.3", "-e", "#loop(1)", home=files)
    assert untimed(r.stdout).splitlines()[-1] == \
        "% 0 solutions (warning: time to live ran out: the answer may be partial)"
    assert r.returncode == 0


# ---- exit status ------------------------------------------------------------------------------------

def test_exit_0_when_every_line_succeeds(files):
    r = seltzer(str(files / "family.kb"), "-e", "#gp(:x, :y)", "-e", "/ttl(5)", home=files)
    assert r.returncode == 0, r.stdout + r.stderr


def test_exit_1_for_a_failing_line_and_the_run_goes_on(files):
    r = seltzer("-e", "nosuch(1)", "-e", "sum(1, 2, :x)", home=files)
    assert r.returncode == 1
    assert untimed(r.stdout).splitlines()[-2:] == [":x = 3", "% 1 solution"]


def test_exit_1_for_a_file_that_does_not_load(files):
    r = seltzer(str(files / "missing.kb"), str(files / "family.kb"), "-e", "#gp(tom, :z)", home=files)
    assert r.returncode == 1
    assert "missing.kb" in r.stdout
    assert untimed(r.stdout).splitlines()[-1] == "% 2 solutions"


@pytest.mark.parametrize("args", [
    ["--bogus"],
    ["--ttl", "0", "-e", "true"],
    ["--ttl", "soon", "-e", "true"],
    ["--workers", "0", "-e", "true"],
    ["--script", "/nonexistent/script.txt"],
    ["-e"],
])
def test_exit_2_for_usage_errors(files, args):
    r = seltzer(*args, home=files)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.strip() and "Traceback" not in r.stderr
