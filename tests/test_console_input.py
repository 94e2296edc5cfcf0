"""Where console inputs end and how a mistake is recovered from (substrate/console/reader.py,
issue 10 §1, issue 16 §1): scripts, piped stdin and pasted blocks. The terminal side is in
tests/test_repl_tty_input.py."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from substrate import Substrate
from substrate.console import Console
from substrate.console.reader import Splitter, examine

from kbgen import isolated_home  # noqa: F401  (autouse fixture: HOME in a temporary folder)

ROOT = Path(__file__).resolve().parent.parent
_TIME = re.compile(r" in [0-9.]+ (?:µs|ms|s)\b")


def pieces(lines: list[str]) -> list[tuple[int, str, str | None]]:
    sp = Splitter("s.ses")
    out = []
    for line in lines:
        out += sp.feed(line)
    out += sp.finish()
    return [(p.line, p.text, p.error and str(p.error.where) + " " + p.error.text) for p in out]


def test_an_unclosed_bracket_is_reported_where_opened_and_the_next_lines_run():
    assert pieces(["#parent(tom, :c", "#parent(bob, :c)", "/stats"]) == [
        (1, "#parent(tom, :c", "s.ses:1:8 '(' is not closed (expected ')')"),
        (2, "#parent(bob, :c)", None),
        (3, "/stats", None),
    ]


def test_an_unclosed_string_is_reported_where_opened_even_when_a_later_quote_closes_it():
    assert pieces(['#p("abc)', "#q(1)", "/stats", '#r("x")']) == [
        (1, '#p("abc)', "s.ses:1:4 string is not closed"),
        (2, "#q(1)", None), (3, "/stats", None), (4, '#r("x")', None),
    ]


def test_a_definition_wrong_inside_costs_its_own_lines_only():
    got = pieces(["anc {", "  (:x, :y) :- #parent(:x, :y);", "  (:x, :z) :- #p(:x) oops;", "  (2);", "}",
                  "#anc(:a, :b)"])
    assert got == [(1, "anc {\n  (:x, :y) :- #parent(:x, :y);\n  (:x, :z) :- #p(:x) oops;", None),
                   (6, "#anc(:a, :b)", None)]


def test_multi_line_inputs_still_join():
    assert pieces(["#a,", "#b"]) == [(1, "#a,\n#b", None)]
    assert pieces(["p {", "  (1);", "}", "/load(", '"a.kb")']) == [(1, "p {\n  (1);\n}", None),
                                                                    (4, '/load(\n"a.kb")', None)]
    assert pieces(["/* a", "comment */", "#a"]) == [(3, "#a", None)]


def test_a_dangling_comma_before_a_command_is_cut_there():
    got = pieces(["#a,", "/stats"])
    assert got[0][:2] == (1, "#a,") and got[0][2].startswith("s.ses:1:4 unexpected end of input")
    assert got[1] == (2, "/stats", None)


def test_line_separators_inside_strings_survive():
    for sep in ["\u2028", "\u2029", "\x85", "\x0c", "\x0b"]:
        kb = Substrate()
        out: list[str] = []
        Console(kb, out=out.append).run_script(f'str.len("a{sep}b", :n)\n'.split("\n"))
        assert out[0] == ":n = 3", (sep, out)


# ---- property: a broken line never changes a good line's answer ------------------------------

_KB = "p { (1, a); (2, b); (3, c); }\nr { (:x, :y) :- #p(:x, :y), gt(:x, 1); }"

GOOD = [
    "#p(:x, :y)", "#p(2, :y)", "#r(:x, b)", "sum(1, 2, :x)", "str.len(\"ab\", :n)", "count(#p(_, _), :n)",
    "/ttl(60)", "#nothing(:x)", "/help(sum)", "g1 { (1); }", "g2 {\n  (:x) :- #p(:x, _);\n}",
    "#p(:x, :y),\n  gt(:x, 2)", "sum(2,\n 2, :x)",
]
BROKEN = [
    "#p(1,", "foo {", '#p("abc', "'sym", "#p(1) )", ")", "@@", "bad { (1, ; }", "[1, 2", "/* open",
    "sum(1, 2, :x", "#p(:x,\n", "}", "(1);", "#q(\"a\\\")", "x {\n  (1, ;\n}",
]


def _blocks(out: list[str]) -> list[list[str]]:
    """The echoed output cut into one block per input: ['?- input', answer lines...]."""
    blocks: list[list[str]] = []
    for line in out:
        if line.startswith("?- "):
            blocks.append([])
        blocks[-1].append(_TIME.sub(" in T", line))
    return blocks


def _alone(text: str) -> list[str]:
    kb = Substrate()
    kb.load_text(_KB)
    out: list[str] = []
    Console(kb, out=out.append, echo=True).run_script(text.split("\n"), "s.ses")
    return _blocks(out)[0][1:]


_ALONE: dict[str, list[str]] = {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 99)), min_size=1, max_size=8))
def test_broken_lines_never_change_the_answers_of_good_lines(mix):
    script = [GOOD[i % len(GOOD)] if good else BROKEN[i % len(BROKEN)] for good, i in mix]
    kb = Substrate()
    kb.load_text(_KB)
    out: list[str] = []
    Console(kb, out=out.append, echo=True).run_script("\n".join(script).split("\n"), "s.ses")
    blocks = _blocks(out)
    answers = {}
    for b in blocks:
        answers.setdefault(b[0][3:], []).append(b[1:])
    for text in {t for good, i in mix if good for t in [GOOD[i % len(GOOD)]]}:
        if text not in _ALONE:
            _ALONE[text] = _alone(text)
        want = sum(1 for good, i in mix if good and GOOD[i % len(GOOD)] == text)
        got = answers.get(text.strip(), [])
        assert got.count(_ALONE[text]) == want, (script, text, out)


# ---- the command line -------------------------------------------------------------------------

def _seltzer(*args: str, stdin: str = "", home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "repl.py", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=60, env=env)


def test_script_with_an_unclosed_bracket_runs_the_lines_after_it(tmp_path, isolated_home):
    s = tmp_path / "s.ses"
    s.write_text("#parent(tom, :c\n#parent(bob, :c)\n/stats\n")
    r = _seltzer("kb/family.kb", "--script", str(s), home=isolated_home)
    assert r.returncode == 1 and r.stderr == ""
    assert f"error: {s}:1:8: '(' is not closed (expected ')')" in r.stdout
    assert ":c = ann" in r.stdout and "% statements: " in r.stdout


def test_scripts_split_lines_on_newline_only(tmp_path, isolated_home):
    s = tmp_path / "s.ses"
    s.write_bytes('str.len("a\u2028b\u2029c\x85d\x0ce\x0bf", :n)\r\nsum(1, 1, :x)\r\n'.encode())
    r = _seltzer("--script", str(s), home=isolated_home)
    assert ":n = 11" in r.stdout and ":x = 2" in r.stdout, r.stdout
    r = _seltzer(stdin=s.read_bytes().decode(), home=isolated_home)
    assert ":n = 11" in r.stdout and ":x = 2" in r.stdout, r.stdout


def test_piped_stdin_is_answered_line_by_line(isolated_home):
    env = dict(os.environ, HOME=str(isolated_home), PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "repl.py"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        for n in range(3):
            p.stdin.write(f"sum({n}, 1, :x)\n")
            p.stdin.flush()
            deadline = time.monotonic() + 30
            lines = []
            while not any(line.startswith("% 1 solution") for line in lines):
                assert time.monotonic() < deadline
                lines.append(p.stdout.readline())
            assert f":x = {n + 1}\n" in lines  # answered before the next line was written
        p.stdin.close()
        assert p.wait(timeout=30) == 0
    finally:
        p.kill()
        p.wait()
