"""Importers: text lines and CSV/TSV rows become statements of a label.

The whole file is read and checked before the first statement is made, so a missing file,
a binary or non-UTF-8 file, or a ragged CSV row is reported (with its line number) and
imports nothing. Without flags the statements are *declared* — published so that rules of
the label run — in batches, with triggers settled after each batch to keep memory bounded;
the console line's transaction undoes everything if a trigger fails. With ``bundle(n)`` or
``assert`` they are stored directly, with no inference at all.
"""
from __future__ import annotations

import csv
import io
import re
import time
from typing import Any, Callable

from lang.errors import CommandError, DataError
from lang.printer import show
from lang.terms import NIL, Compound, Symbol, deref, list_items

from .elemental import FactElemental
from .loader import read_text

__all__ = ["import_txt", "import_csv", "read_lines", "parse_field", "ImportMode"]

_INT = re.compile(r"-?[0-9]+\Z")
_FLOAT = re.compile(r"-?([0-9]+\.[0-9]+([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)\Z")
_DECLARE_BATCH = 1024


class ImportMode:
    """How imported statements are stored: declared, bundled by n, or asserted in one elemental."""

    __slots__ = ("kind", "n", "header", "sep")

    def __init__(self, kind: str = "declare", n: int = 0, header: bool = False, sep: str = ",") -> None:
        self.kind = kind
        self.n = n
        self.header = header
        self.sep = sep


def _mode(cmd: str, flags: Any, csv_options: bool) -> ImportMode:
    mode = ImportMode(sep="," if csv_options else "\n")
    items, tail = list_items(flags)
    if tail is not NIL:
        raise CommandError(f"/{cmd}: the flags must be a list, e.g. [bundle(3072)], found {show(flags)}")
    for f in items:
        f = deref(f)
        if type(f) is Compound and f.name == "bundle" and len(f.args) == 1:
            n = deref(f.args[0])
            if type(n) is not int or n < 1:
                raise CommandError(f"/{cmd}: bundle(n) needs a positive integer, found {show(f)}")
            mode.kind, mode.n = "bundle", n
        elif f is Symbol("assert"):
            mode.kind = "assert"
        elif csv_options and f is Symbol("header"):
            mode.header = True
        elif csv_options and type(f) is Compound and f.name == "sep" and len(f.args) == 1:
            sep = deref(f.args[0])
            if type(sep) is not str or len(sep) != 1:
                raise CommandError(f"/{cmd}: sep needs a one-character string, found {show(f)}")
            mode.sep = sep
        else:
            known = "bundle(n), assert" + (", header, sep(\"\\t\")" if csv_options else "")
            raise CommandError(f"/{cmd}: unknown flag {show(f)} (known: {known})")
    return mode


def read_lines(path: str) -> list[str]:
    """The lines of a UTF-8 text file without line ends; binary files are refused."""
    text = read_text(path)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise DataError("looks like a binary file (NUL byte); expected text", f"{path}:{line}")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


_NUMERIC_START = frozenset("-0123456789")


def parse_field(text: str) -> int | float | str:
    """A CSV field: a whole field of ``-?digits`` becomes an int ("007" reads as 7) and one of
    ``-?d.d`` or ``d[eE]d`` a float; anything else ("nan", "1_000", " 5", "") stays a string."""
    if not text or text[0] not in _NUMERIC_START:
        return text
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _store(sub, label: str, statements: list[tuple], mode: ImportMode, progress_bar) -> int:
    """Store or declare the statements; returns how many elementals were created."""
    before = len(sub.elementals)
    if mode.kind == "bundle":
        for i in range(0, len(statements), mode.n):
            sub.install_bundle(label, statements[i:i + mode.n])
            if progress_bar:
                progress_bar(min(i + mode.n, len(statements)))
    elif mode.kind == "assert":
        if not statements:
            return 0
        arity = len(statements[0])
        target = sub._writable(label, arity)
        if target is None:
            target = sub.add(FactElemental(label))
        if isinstance(target, FactElemental):
            target.tell(statements)
            sub.journal(lambda: _truncate(target, statements))
        else:
            target.tell(statements)
        sub.changed()
        if progress_bar:
            progress_bar(len(statements))
    else:
        for i, s in enumerate(statements):
            sub.declare_ground(label, s)
            if (i + 1) % _DECLARE_BATCH == 0:
                sub.settle(flush=False)
                if progress_bar:
                    progress_bar(i + 1)
        sub.settle()
        if progress_bar:
            progress_bar(len(statements))
    return len(sub.elementals) - before


def _truncate(target: FactElemental, statements: list) -> None:
    for s in reversed(statements):
        target.forget(s)


def _report(kind: str, n: int, what: str, label: str, arity: int, mode: ImportMode, made: int, dt: float) -> str:
    from .units import format_elapsed
    rate = f", {n / dt / 1000:.0f}k {what}/s" if dt > 0 and n else ""
    how = {"declare": "declared", "bundle": f"bundled by {mode.n} into {made} elementals",
           "assert": "asserted"}[mode.kind]
    return f"imported {n} {what} as {label}/{arity}, {how}, in {format_elapsed(dt)}{rate}"


def import_txt(sub, path: str, label: str, limit: int = -1, flags: Any = NIL,
               progress: Callable | None = None) -> str:
    """/import.txt: each line becomes label(n, "line"); returns the report message."""
    mode = _mode("import.txt", flags, False)
    t0 = time.perf_counter()
    lines = read_lines(path)
    if limit >= 0:
        lines = lines[:limit]
    statements = list(zip(range(len(lines)), lines))
    bar = progress("import.txt", len(statements)) if progress and len(statements) > 20000 else None
    try:
        made = _store(sub, label, statements, mode, bar)
    finally:
        if bar:
            bar(None)
    return _report("txt", len(statements), "lines", label, 2, mode, made, time.perf_counter() - t0)


def import_csv(sub, path: str, label: str, limit: int = -1, options: Any = NIL,
               progress: Callable | None = None) -> str:
    """/import.csv: each row becomes label(f1, ..., fk); returns the report message."""
    mode = _mode("import.csv", options, True)
    t0 = time.perf_counter()
    text = read_text(path)
    if "\x00" in text:
        raise DataError("looks like a binary file (NUL byte); expected CSV text", path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mode.sep, strict=True)
    statements: list[tuple] = []
    width = None
    skip_header = mode.header
    try:
        for row in reader:
            if 0 <= limit <= len(statements):
                break
            if not row or row == [""]:
                continue
            if skip_header:  # the first non-empty row, however many lines it spans
                skip_header = False
                width = len(row)
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                raise DataError(f"row has {len(row)} field{'s' if len(row) != 1 else ''}, expected {width}",
                                f"{path}:{reader.line_num}")
            statements.append(tuple(parse_field(f) for f in row))
    except csv.Error as e:
        raise DataError(f"malformed CSV: {e}", f"{path}:{reader.line_num}") from None
    bar = progress("import.csv", len(statements)) if progress and len(statements) > 20000 else None
    try:
        made = _store(sub, label, statements, mode, bar)
    finally:
        if bar:
            bar(None)
    return _report("csv", len(statements), "rows", label, width or 0, mode, made, time.perf_counter() - t0)
