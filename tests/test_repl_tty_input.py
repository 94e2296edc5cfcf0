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


def test_ctrl_c_with_loading_workers_alive_shows_no_traceback(tty):
    tty.wait_prompt(1)
    tty.type('/load("kb/family.kb", "kb/dna.kb")')
    tty.keys("Enter")
    tty.wait_for("2 of 2 files in ")
    tty.wait_prompt(2)
    tty.type("loop { () :- #loop; }")
    tty.keys("Enter")
    tty.wait_prompt(3)
    tty.type("#loop")
    tty.keys("Enter")
    import time
    time.sleep(1.0)
    tty.keys("C-c")
    text = tty.wait_for("% interrupted")
    tty.wait_prompt(4)
    time.sleep(0.5)
    text = tty.screen()
    assert "Traceback" not in text and "ForkServerProcess" not in text and "KeyboardInterrupt" not in text, text


def test_tab_completes_a_path_inside_load(tty):
    tty.wait_prompt(1)
    tty.type('/load("kb/fa')
    tty.wait(lambda t: t.splitlines()[-1].strip() == "kb/family.kb", "the completion menu")
    tty.keys("Tab")
    tty.wait(lambda t: '?- /load("kb/family.kb' in t, "the completed path")
    tty.type('")')
    tty.keys("Enter")
    text = tty.wait_for("% loaded kb/family.kb")
    assert "false" not in text


def test_a_long_answer_list_stops_after_100_and_more_shows_the_rest(tty):
    tty.wait_prompt(1)
    tty.type("up { (:n, :n); (:a, :x) :- lt(:a, 130), sum(:a, 1, :b), #up(:b, :x); }")
    tty.keys("Enter")
    tty.wait_prompt(2)
    tty.type("#up(1, :x)")
    tty.keys("Enter")
    text = tty.wait_for("% 130 solutions in ")
    assert ":x = 100\n% … 30 more; /more or -e/--script show all" in text and ":x = 101" not in text
    tty.wait_prompt(3)
    tty.type("/more")
    tty.keys("Enter")
    text = tty.wait_for("% end of the answers")
    assert ":x = 101" in text and ":x = 130" in text


def test_import_progress_bars_tell_the_truth(tty, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("".join(f"line {i}\n" for i in range(60000)))
    tty.wait_prompt(1)
    tty.type(f'/import.txt("{big}", k, -1, [assert])')
    tty.keys("Enter")
    text = tty.wait_for("% imported 60000 lines as k/2, asserted")
    tty.wait_prompt(2)
    tty.type(f'r {{ (:n, :l) :- sum(:n, 1, _); }}')
    tty.keys("Enter")
    tty.wait_prompt(3)
    tty.type(f'/import.txt("{big}", r)')
    tty.keys("Enter")
    text = tty.wait_for("% imported 60000 lines as r/2, declared")
    bars = [line for line in text.splitlines() if "import.txt" in line and "%" in line and "?-" not in line
            and "imported" not in line]
    assert len(bars) == 2 and all("100%" in b or "60000/60000" in b for b in bars), bars
    assert text.count("import.txt:") <= 2  # the title once per bar
    tty.type(f'/import.txt("{big}", nolabel)')
    tty.keys("Enter")
    tty.wait_for("% warning: no rule received the statements of nolabel")


def _bar_values(text: str, label: str) -> list[float]:
    import re
    return [float(m.group(1)) for m in re.finditer(rf"^{re.escape(label)}\s+(\d+\.\d)%", text, re.M)]


def _watch_bar(tty, label: str, until: str, timeout: float = 30.0) -> tuple[set, str]:
    """The percentages a bar showed while the screen was sampled, until ``until`` appeared."""
    import time
    seen: set[float] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = tty.screen()
        seen.update(_bar_values(text, label))
        if until in text:
            return seen, text
        time.sleep(0.03)
    raise AssertionError(f"timed out waiting for {until!r}; saw {sorted(seen)}")


def _big_kb(path, rows: int) -> None:
    with open(path, "w") as f:
        f.write("big { index = 0 } {\n")
        f.writelines(f'  ({i}, "s{i * 7919 % 100003}", {"cw" if i % 2 else "ccw"});\n' for i in range(rows))
        f.write("}\n")


def test_load_of_one_large_file_moves_its_bar(tty, tmp_path):
    big = tmp_path / "big.kb"
    _big_kb(big, 400000)
    tty.wait_prompt(1)
    tty.type(f'/load("{big}")')
    tty.keys("Enter")
    seen, text = _watch_bar(tty, "load", "% loaded ")
    assert [v for v in seen if 0 < v < 100], sorted(seen)   # it moved while the file loaded
    assert len([v for v in seen if 0 < v < 100]) >= 3, sorted(seen)
    tty.wait_prompt(2)
    text = tty.screen()
    assert _bar_values(text, "load")[-1] == 100.0 and text.count("\nload ") == 1


def test_asserted_import_moves_its_bar(tty, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("".join(f"line {i}\n" for i in range(400000)))
    tty.wait_prompt(1)
    tty.type(f'/import.txt("{big}", k, -1, [assert])')
    tty.keys("Enter")
    seen, text = _watch_bar(tty, "import.txt", "% imported 400000 lines")
    assert len([v for v in seen if 0 < v < 100]) >= 3, sorted(seen)
    tty.wait_prompt(2)
    assert _bar_values(tty.screen(), "import.txt")[-1] == 100.0
    tty.type(f'/import.csv("{big}", c, -1, [assert])')
    tty.keys("Enter")
    tty.wait_for("% imported 400000 rows")
    tty.wait_prompt(3)
    text = tty.screen()
    assert _bar_values(text, "import.csv") == [100.0] and text.count("\nimport.csv ") == 1


def test_ctrl_c_during_an_import_leaves_the_bar_short_of_full(tty, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("".join(f"line {i}\n" for i in range(1500000)))
    tty.wait_prompt(1)
    tty.type(f'/import.txt("{big}", k, -1, [assert])')
    tty.keys("Enter")
    tty.wait(lambda t: any(0 < v < 50 for v in _bar_values(t, "import.txt")), "the bar under way", timeout=30)
    tty.keys("C-c")
    tty.wait_for("% interrupted", timeout=30)
    tty.wait_prompt(2)
    text = tty.screen()
    assert "Traceback" not in text and _bar_values(text, "import.txt")[-1] < 100.0, text
    tty.type("/stats")
    tty.keys("Enter")
    tty.wait_prompt(3)
    assert "% elementals: 0" in tty.screen().split("/stats", 1)[1]


def test_ctrl_c_during_a_load_leaves_the_bar_short_of_full(tty, tmp_path):
    big = tmp_path / "big.kb"
    _big_kb(big, 600000)
    tty.wait_prompt(1)
    tty.type(f'/load("{big}", "{big}")')
    tty.keys("Enter")
    tty.wait(lambda t: any(0 < v < 60 for v in _bar_values(t, "load")), "the bar under way", timeout=30)
    tty.keys("C-c")
    text = tty.wait_for("% interrupted", timeout=30)
    tty.wait_prompt(2)
    text = tty.screen()
    assert "100.0%" not in text and "Traceback" not in text, text
    assert _bar_values(text, "load")[-1] < 100.0
    tty.type("/stats")
    tty.keys("Enter")
    tty.wait_prompt(3)
    assert "% elementals: 0" in tty.screen().split("/stats", 1)[1]   # nothing of the interrupted load stayed
