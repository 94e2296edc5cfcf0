"""Importers: text lines and CSV/TSV rows become statements of a label.

Files are streamed, so memory stays constant in the file's size: a first pass reads and checks
the whole file (UTF-8, no NUL byte, lines of at most :data:`MAX_LINE` bytes, no ragged CSV row)
without keeping it, so a bad file is reported (with its line number) and imports nothing; a
second pass makes the statements in chunks of :data:`CHUNK`. Only regular files are read (a
FIFO would block, ``/dev/zero`` never ends). Without flags the statements are *declared* —
published so that rules of the label run — with triggers settled after each batch; with
``bundle(n)`` or ``assert`` they are stored directly, with no inference at all (a store
commits them in bounded batches). If anything fails half-way, the console line's transaction
undoes everything, store batches included.
"""
from __future__ import annotations

import codecs
import csv
import re
import time
from itertools import islice
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from lang.errors import CommandError, DataError
from lang.printer import show
from lang.terms import NIL, Compound, Symbol, deref, list_items

from .elemental import FactElemental
from .paths import regular_file

__all__ = ["import_txt", "import_csv", "read_lines", "parse_field", "ImportMode", "MAX_LINE", "CHUNK"]

MAX_LINE = 16 << 20       # bytes in one line (and so in one CSV field): bounds memory per line
CHUNK = 8192              # statements made and stored at a time
_BOM = b"\xef\xbb\xbf"
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


def _open(path: str) -> BinaryIO:
    regular_file(path)
    try:
        return open(path, "rb")
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path) from None


def text_lines(path: str, limit: int = -1, keep_ends: bool = False, what: str = "text") -> Iterator[str]:
    """Stream the lines of a UTF-8 text file (at most ``limit``; -1: all), without their line
    ends unless ``keep_ends``; a NUL byte, bad UTF-8 or an over-long line is a DataError at
    ``path:line``."""
    with _open(path) as f:
        n = 0
        while limit < 0 or n < limit:
            raw = f.readline(MAX_LINE + 1)
            if not raw:
                return
            n += 1
            if len(raw) > MAX_LINE:
                raise DataError(f"line longer than {MAX_LINE >> 20} MiB", f"{path}:{n}")
            if n == 1 and raw.startswith(_BOM):      # a byte order mark is not part of the text
                raw = raw[3:]
            if b"\x00" in raw:
                raise DataError(f"looks like a binary file (NUL byte); expected {what}", f"{path}:{n}")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DataError(f"not UTF-8 text (byte 0x{raw[e.start]:02x})", f"{path}:{n}:{e.start + 1}") from None
            if not keep_ends:
                line = line[:-1] if line.endswith("\n") else line
                line = line[:-1] if line.endswith("\r") else line
            yield line


def check_text(path: str, what: str = "text") -> None:
    """Check a whole file as :func:`text_lines` would, at C speed (1 MiB blocks): UTF-8, no NUL
    byte, no line over :data:`MAX_LINE`; a problem is then located line by line and raised."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    run = 0                                   # bytes since the last line end
    ok = True
    with _open(path) as f:
        while ok:
            block = f.read(1 << 20)
            if not block:
                break
            if b"\x00" in block:
                ok = False
                break
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                ok = False
                break
            nl = block.rfind(b"\n")
            if nl < 0:
                run += len(block)
            else:
                first = block.find(b"\n")
                longest = max(run + first + 1, max(map(len, block[first + 1:nl + 1].split(b"\n"))) + 1)
                run = len(block) - nl - 1
                if longest > MAX_LINE:
                    ok = False
            if run > MAX_LINE:
                ok = False
        if ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                ok = False
    if not ok:
        for _ in text_lines(path, what=what):    # raises at the line
            pass


def _lines_fast(path: str, limit: int) -> Iterator[str]:
    """The lines of a file already checked by :func:`check_text` (no line ends)."""
    with _open(path) as f:
        lines = f if limit < 0 else islice(f, limit)
        for k, raw in enumerate(lines):
            if not k and raw.startswith(_BOM):
                raw = raw[3:]
            line = raw.decode("utf-8")
            if line.endswith("\n"):
                line = line[:-2] if line.endswith("\r\n") else line[:-1]
            elif line.endswith("\r"):
                line = line[:-1]
            yield line


def read_lines(path: str) -> list[str]:
    """The lines of a UTF-8 text file without line ends; binary files are refused."""
    return list(text_lines(path))


_NUMERIC_START = frozenset("-0123456789")


def parse_field(text: str) -> int | float | str:
    """A CSV field: a whole field of ``-?digits`` becomes an int ("007" reads as 7) and one of
    ``-?d.d`` or ``d[eE]d`` a float; anything else ("nan", "1_000", " 5", "") stays a string."""
    if not text or text[0] not in _NUMERIC_START:
        return text
    if text.isdigit() and text.isascii():
        return int(text)
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _store(sub, label: str, chunks: Iterable[list[tuple]], mode: ImportMode, progress_bar) -> int:
    """Store or declare the statements, a chunk at a time; returns how many elementals were created."""
    before = len(sub.elementals)
    done = 0
    target = None
    pending: list[tuple] = []
    for chunk in chunks:
        if mode.kind == "bundle":
            pending.extend(chunk)
            full = len(pending) - len(pending) % mode.n
            for i in range(0, full, mode.n):
                sub.install_bundle(label, pending[i:i + mode.n])
            pending = pending[full:]
        elif mode.kind == "assert":
            if target is None:
                target = sub._writable(label, len(chunk[0]))
                if target is None:
                    target = sub.add(FactElemental(label))
            target.tell(chunk)
            if isinstance(target, FactElemental):
                sub.journal(lambda chunk=chunk: _truncate(target, chunk))
            sub.changed()
        else:
            for s in chunk:
                sub.declare_ground(label, s)
            sub.settle(flush=False)
        done += len(chunk)
        if progress_bar:
            progress_bar(done)
    if pending:
        sub.install_bundle(label, pending)
    if mode.kind == "declare":
        sub.settle()
    return len(sub.elementals) - before


def _chunks(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
    if limit < 0:
        check_text(path)                                    # check the whole file first
        n = sum(1 for _ in _lines_fast(path, limit))
    else:
        n = sum(1 for _ in text_lines(path, limit))
    bar = progress("import.txt", n) if progress and n > 20000 else None
    try:
        made = _store(sub, label, _chunks(enumerate(_lines_fast(path, limit))), mode, bar)
    finally:
        if bar:
            bar(None)
    return _report("txt", n, "lines", label, 2, mode, made, time.perf_counter() - t0)


def _csv_rows(path: str, limit: int, mode: ImportMode) -> Iterator[list[str]]:
    """The data rows of a CSV file as lists of field texts (header and blank rows skipped);
    a ragged row or malformed CSV is a DataError at ``path:line``."""
    if csv.field_size_limit() < MAX_LINE:
        csv.field_size_limit(MAX_LINE)     # a field may be as long as a line of /import.txt
    regular_file(path)
    try:
        f = open(path, encoding="utf-8-sig", newline="")   # checked by check_text first
    except OSError as e:
        raise DataError(f"cannot read: {e.strerror}", path) from None
    with f:
        yield from _csv_reader(f, path, limit, mode)


def _csv_reader(f, path: str, limit: int, mode: ImportMode) -> Iterator[list[str]]:
    reader = csv.reader(f, delimiter=mode.sep, strict=True)
    width = None
    skip_header = mode.header
    n = 0
    try:
        for row in reader:
            if 0 <= limit <= n:
                return
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
            n += 1
            yield row
    except csv.Error as e:
        raise DataError(f"malformed CSV: {e}", f"{path}:{reader.line_num}") from None


def import_csv(sub, path: str, label: str, limit: int = -1, options: Any = NIL,
               progress: Callable | None = None) -> str:
    """/import.csv: each row becomes label(f1, ..., fk); returns the report message."""
    mode = _mode("import.csv", options, True)
    t0 = time.perf_counter()
    check_text(path, "CSV text")                           # check the whole file first
    n = width = 0
    for row in _csv_rows(path, limit, mode):
        n += 1
        width = len(row)
    bar = progress("import.csv", n) if progress and n > 20000 else None
    rows = (tuple([parse_field(f) for f in row]) for row in _csv_rows(path, limit, mode))
    try:
        made = _store(sub, label, _chunks(rows), mode, bar)
    finally:
        if bar:
            bar(None)
    return _report("csv", n, "rows", label, width, mode, made, time.perf_counter() - t0)
