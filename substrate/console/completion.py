"""Tab completion of console input: commands, labels, primitives and file paths.

:func:`complete` says what the word before the cursor may become and how much of the typed
text each candidate replaces; the REPL hands that to prompt-toolkit as is. Inside a string
only file paths are offered (for the path argument of /load, /save and /import.*), never a
primitive name; in the other arguments of a command, labels; inside a comment, nothing.
"""
from __future__ import annotations

import os
import re
from typing import Iterable, NamedTuple

from .reader import examine

__all__ = ["Candidate", "complete", "PATH_COMMANDS"]

PATH_COMMANDS = ("load", "save", "import.txt", "import.csv", "import.tome")
_WORD = re.compile(r"(/|#)?([A-Za-z0-9_.]*)\Z")
_COMMAND = re.compile(r"\s*/([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)(\s*\(|\s+)(.*)\Z", re.S)
# Strings, quoted symbols and comments as the grammar writes them (a string ends at a line end),
# and the text between them: enough to tell whether the cursor is inside a comment.
_PIECES = re.compile(r"""
    "(?:[^"\\\n]|\\.)*"? | '(?:[^'\\\n]|\\.)*'?
  | (?P<line>//[^\n]*) | (?P<block>/\*(?:[^*]|\*(?!/))*(?:\*/)?)
  | [^"'/]+ | /""", re.X)


class Candidate(NamedTuple):
    """``display`` as listed; ``text`` replaces the last ``replace`` characters before the cursor."""
    display: str
    text: str
    replace: int


def complete(text: str, labels: Iterable[str], commands: Iterable[str],
             primitives: Iterable[str]) -> list[Candidate]:
    """What the word before the cursor at the end of ``text`` may become."""
    if "/" in text and _in_comment(text):
        return []
    cmd = _COMMAND.match(text)
    if cmd is not None:
        return _in_command(text, cmd.group(1), cmd.group(2).strip() == "(", cmd.group(3), labels)
    m = _WORD.search(text)
    if ('"' in text or "'" in text) and m.group(2):  # (parsing only when a string may be open)
        st = examine(text)
        if st.state == "more" and st.opened is not None and text[st.opened] in "\"'":
            return []  # inside a string or quoted symbol: nothing to offer
    sigil, word = m.group(1) or "", m.group(2)
    if sigil == "/" and text[: m.start()].strip() == "":
        return [Candidate("/" + c, c, len(word)) for c in sorted(commands) if c.startswith(word)]
    if sigil == "#":
        return [Candidate("#" + lab, lab, len(word)) for lab in sorted(labels) if lab.startswith(word)]
    if not word:
        return []
    return [Candidate(p, p, len(word)) for p in sorted(primitives) if p.startswith(word)]


def _in_comment(text: str) -> bool:
    """True when the end of ``text`` is inside a ``//`` or an unclosed ``/* ... */`` comment."""
    last = None
    for last in _PIECES.finditer(text):
        pass
    if last is None or last.end() != len(text):
        return False
    if last.group("line") is not None:
        return True
    block = last.group("block")
    return block is not None and not (len(block) >= 4 and block.endswith("*/"))


def _in_command(text: str, name: str, term_form: bool, args: str, labels: Iterable[str]) -> list[Candidate]:
    """Completion inside the arguments of ``/name``: a path where the command reads a file,
    else a label."""
    if term_form:
        st = examine(text)
        if st.state != "more":
            return []
        first_arg = "," not in args
        if st.opened is not None and text[st.opened] == '"':
            partial = text[st.opened + 1:]
            if name in PATH_COMMANDS and (first_arg or name == "load") and "\\" not in partial:
                return _paths(partial)
            return []
        word = re.search(r"[A-Za-z0-9_.]*\Z", text).group()
    else:
        words = args.split(" ")
        word = words[-1]
        if name in PATH_COMMANDS and (len(words) == 1 or name == "load"):
            return _paths(word.lstrip('"'))
    if not word or not word[0].isalpha():
        return []
    return [Candidate(lab, lab, len(word)) for lab in sorted(set(labels)) if lab.startswith(word)]


def _paths(partial: str) -> list[Candidate]:
    """Files and folders whose path starts with ``partial`` (folders end with '/'); hidden
    names only when the typed name starts with '.'."""
    folder, base = os.path.split(partial)
    where = os.path.expanduser(folder) or "."
    try:
        names = sorted(os.listdir(where))
    except OSError:
        return []
    out = []
    for n in names:
        if not n.startswith(base) or (n.startswith(".") and not base.startswith(".")):
            continue
        path = os.path.join(folder, n)
        if os.path.isdir(os.path.join(where, n)):
            path += "/"
        out.append(Candidate(path, path, len(partial)))
    return out
