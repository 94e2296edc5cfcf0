"""The interactive console in a real terminal (tmux) for issue 10: input that is already wrong
is reported at once, a pasted block of several inputs runs each one, and the console's other
edges (Ctrl-C, long answer lists, completion) never show a traceback."""
from __future__ import annotations

import shutil

import pytest

from test_repl_tty import Tty, home, tty  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def test_a_line_already_wrong_is_reported_at_once(tty):
    tty.wait_prompt(1)
    tty.type("bad { (1, ; }")
    tty.keys("Enter")
    text = tty.wait_for("error: <console>:1:11: unexpected ';'")
    assert "\n.." not in text  # no continuation line
    tty.wait_prompt(2)
    tty.type("sum(1, 2, :x)")
    tty.keys("Enter")
    text = tty.wait_for(":x = 3")
    assert "Traceback" not in text


def test_a_pasted_block_runs_each_input(tty):
    tty.wait_prompt(1)
    tty.tmux("set-buffer", "a { (1); (2); }\nb {\n  (3);\n}\n#a(:x), #b(:y)")
    tty.tmux("paste-buffer", "-p", "-t", "main")
    tty.keys("Enter")
    text = tty.wait_for("% 2 solutions in ")
    assert "% defined a (facts, 2)" in text and "% defined b (facts, 1)" in text
    assert ":x = 1, :y = 3" in text and ":x = 2, :y = 3" in text
    tty.wait_prompt(2)


def test_an_unclosed_bracket_then_a_new_query_reports_and_runs_it(tty):
    tty.wait_prompt(1)
    tty.type("sum(1, 2, :x")
    tty.keys("Enter")
    tty.wait(lambda t: t.splitlines()[-1].startswith(".."), "the continuation prompt")
    tty.type("sum(2, 2, :y)")
    tty.keys("Enter")
    text = tty.wait_for(":y = 4")
    assert "error: <query>:1:4: '(' is not closed" in text
    tty.wait_prompt(2)
