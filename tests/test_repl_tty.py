"""The real interactive console (repl.py + prompt-toolkit) driven through a terminal in tmux:
multi-line input, queries, commands, Tab completion, Ctrl-C on a running query, Ctrl-D, and
the history file (SPEC §10; STYLE "repl.py": Ctrl-D exits, Ctrl-C cancels the running query)."""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 10.0

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tty:
    """One ``python repl.py`` in a detached tmux session on a private tmux server."""

    def __init__(self, home: Path, width: int = 120, height: int = 50) -> None:
        self.socket = f"seltzer-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
        # The shell reports the console's exit status on the screen, then idles until kill-server
        # (tmux's own #{pane_dead_status} is sometimes empty for a pane that has just died).
        cmd = (f"env HOME={shlex.quote(str(home))} PYTHONDONTWRITEBYTECODE=1 {shlex.quote(sys.executable)} "
               f"{shlex.quote(str(REPO / 'repl.py'))}; echo \"[console exited: $?]\"; exec sleep 600")
        self.tmux("new-session", "-d", "-s", "main", "-x", str(width), "-y", str(height), "-c", str(REPO), cmd)

    def tmux(self, *args: str) -> str:
        r = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], env=self.env,
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert r.returncode == 0, (args, r.stderr)
        return r.stdout

    def screen(self) -> str:
        """The pane's text, scrollback included, wrapped lines joined, trailing blanks removed."""
        return "\n".join(line.rstrip() for line in self.tmux("capture-pane", "-p", "-J", "-S", "-500",
                                                             "-t", "main").splitlines()).rstrip("\n")

    def wait(self, predicate, what: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; screen:\n{text}")
            time.sleep(0.1)

    def wait_for(self, needle: str, count: int = 1, timeout: float = TIMEOUT) -> str:
        return self.wait(lambda t: t.count(needle) >= count, f"{needle!r} x{count}", timeout)

    def wait_prompt(self, count: int) -> str:
        """Wait until the ``count``-th empty prompt is the last line of the screen."""
        return self.wait(lambda t: t.splitlines()[-1:] == ["?-"] and _prompts(t) >= count,
                         f"prompt #{count}")

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "main", "-l", text)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "main", *keys)

    def exit_status(self) -> str:
        """Wait until the console's process has ended; its exit status."""
        text = self.wait(lambda t: "[console exited: " in t, "the console to exit")
        return text.split("[console exited: ", 1)[1].split("]", 1)[0]

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True,
                       timeout=TIMEOUT)


def _prompts(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.startswith("?-"))


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def tty(home):
    t = Tty(home)
    try:
        yield t
    finally:
        t.close()


def test_interactive_session(tty, home):
    tty.wait_for("Ctrl-D quits")
    tty.wait_prompt(1)

    # Enter on an incomplete definition inserts a newline; the second Enter runs it.
    tty.type("parent {")
    tty.keys("Enter")
    tty.wait(lambda t: t.splitlines()[-1].startswith(".."), "the continuation prompt")
    assert "error" not in tty.screen()
    tty.type("(tom, bob); }")
    tty.keys("Enter")
    tty.wait_for("% defined parent (facts, 1) in ")
    tty.wait_prompt(2)

    tty.type("#parent(tom, :x)")
    tty.keys("Enter")
    text = tty.wait_for("% 1 solution in ")
    assert ":x = bob" in text
    tty.wait_prompt(3)

    tty.type("/stats")
    tty.keys("Enter")
    text = tty.wait_for("% memory: ")
    assert "% elementals: 1 (facts 1)" in text and "% statements: 1" in text
    tty.wait_prompt(4)

    # A query that never ends (default time to live, 60 s) is cancelled by Ctrl-C.
    tty.type("loop { () :- #loop; }")
    tty.keys("Enter")
    tty.wait_for("% defined loop (rules, 1)")
    tty.wait_prompt(5)
    tty.type("#loop")
    tty.keys("Enter")
    time.sleep(1.0)
    text = tty.screen()
    assert text.splitlines()[-1].endswith("#loop") and "% interrupted" not in text, text
    tty.keys("C-c")
    text = tty.wait_for("% interrupted")
    assert "Traceback" not in text
    tty.wait_prompt(6)

    # The console goes on.
    tty.type("#parent(:p, bob)")
    tty.keys("Enter")
    text = tty.wait_for("% 1 solution in ", count=2)
    assert ":p = tom" in text
    tty.wait_prompt(7)

    # Ctrl-D leaves; the process ends with status 0.
    tty.keys("C-d")
    assert tty.exit_status() == "0"
    assert "Traceback" not in tty.screen()

    history = (home / ".seltzer_history").read_text()
    for line in ["+parent {", "+(tom, bob); }", "+#parent(tom, :x)", "+/stats", "+#loop", "+#parent(:p, bob)"]:
        assert line in history.splitlines(), history


def test_tab_completes_commands_and_labels(tty):
    tty.wait_prompt(1)
    tty.type("gene.find { (1); }")
    tty.keys("Enter")
    tty.wait_for("% defined gene.find")
    tty.wait_prompt(2)

    tty.type("/sta")
    tty.wait(lambda t: t.splitlines()[-1].strip() == "stats", "the completion menu")
    tty.keys("Tab")
    tty.wait(lambda t: "?- /stats" in t, "the completed command")
    tty.keys("Enter")
    tty.wait_for("% memory: ")
    tty.wait_prompt(3)

    tty.type("#gene.f")
    tty.wait(lambda t: t.splitlines()[-1].strip() == "gene.find", "the completion menu")
    tty.keys("Tab")
    tty.wait(lambda t: "?- #gene.find" in t, "the completed label")
    tty.type("(:x)")
    tty.keys("Enter")
    text = tty.wait_for("% 1 solution in ")
    assert ":x = 1" in text


def test_errors_do_not_end_the_console_and_ctrl_c_clears_the_input(tty):
    tty.wait_prompt(1)
    tty.type("/nosuch")
    tty.keys("Enter")
    tty.wait_for("error: unknown command /nosuch")
    tty.wait_prompt(2)
    tty.type('sum("a", 1, :x)')
    tty.keys("Enter")
    tty.wait_for("error: <query>:1:1: sum: argument 1")
    tty.wait_prompt(3)
    tty.type("#half typed")
    tty.keys("C-c")
    tty.wait_prompt(4)
    tty.type("/quit")
    tty.keys("Enter")
    tty.wait_for("% bye")
    assert tty.exit_status() == "0"
    assert "Traceback" not in tty.screen()
