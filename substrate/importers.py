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
import os
import re
import time
from itertools import islice, repeat
from typing import Any, BinaryIO, Callable, Iterable, Iterator

import numpy as np

from lang.errors import CommandError, DataError
from lang.printer import show
from lang.terms import NIL, Compound, Symbol, deref, list_items

from .elemental import FactElemental
from .facts import Batch
from .memory import give_back
from .paths import regular_file

__all__ = ["import_txt", "import_csv", "read_lines", "parse_field", "ImportMode", "MAX_LINE", "CHUNK"]

MAX_LINE = 16 << 20       # bytes in one line (and so in one CSV field): bounds memory per line
CHUNK = 8192              # statements made and stored at a time
_BOM = b"\xef\xbb\xbf"
_INT = re.compile(r"-?[0-9]+\Z")
_FLOAT = re.compile(r"-?([0-9]+\.[0-9]+([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)\Z")
_DECLARE_BATCH = 1024
_I64 = np.iinfo(np.int64)
_NUMBER_START = re.compile(r"\n[-0-9]")   # searched in "\n" + fields joined by "\n"


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


def check_text(path: str, what: str = "text") -> bool:
    """Check a whole file as :func:`text_lines` would, at C speed (1 MiB blocks): UTF-8, no NUL
    byte, no line over :data:`MAX_LINE`; a problem is then located line by line and raised.
    Returns whether the file is *plain*: no double quote and no carriage return (so a CSV
    reader can split it at line ends and separators without the csv module)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    run = 0                                   # bytes since the last line end
    ok = True
    plain = True
    with _open(path) as f:
        while ok:
            block = f.read(min(1 << 20, MAX_LINE))
            if not block:
                break
            if b"\x00" in block:
                ok = False
                break
            if plain and (b'"' in block or b"\r" in block):
                plain = False
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                ok = False
                break
            nl = block.rfind(b"\n")
            if nl < 0:
                run += len(block)
            else:  # a line inside one block is shorter than the block, so only runs across blocks count
                if run + block.find(b"\n") + 1 > MAX_LINE:
                    ok = False
                run = len(block) - nl - 1
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
    return plain


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


def _store(sub, label: str, batches: Iterable[tuple[Batch, int]], mode: ImportMode,
           progress_bar) -> tuple[int, int, int]:
    """Store or declare the statements, a batch at a time. ``batches`` yields each batch with
    the progress made once it is in (the unit the bar was opened with). Returns how many
    elementals were created, how many statements there were and their arity."""
    before = len(sub.elementals)
    n = width = 0
    target = None
    held: list[Batch] = []          # bundle: rows not yet making a whole bundle
    size = 0
    for batch, done in batches:
        if not batch.n:
            continue
        n += batch.n
        width = len(batch.columns)
        if mode.kind == "bundle":
            held.append(batch)
            size += batch.n
            if size >= mode.n:
                rows = Batch.join(held)
                full = size - size % mode.n
                for i in range(0, full, mode.n):
                    sub.install_bundle(label, rows.cut(i, i + mode.n))
                held = [rows.cut(full, size)] if full < size else []
                size -= full
        elif mode.kind == "assert":
            rows = batch.rows()
            if target is None:
                target = sub._writable(label, width)
                if target is None:
                    target = sub.add(FactElemental(label))
            table = target.table(width) if isinstance(target, FactElemental) else None
            first = table.n if table is not None else 0
            target.tell(rows)
            if table is not None:
                sub.journal(lambda t=table, a=first, b=table.n: _untell_rows(target, t, a, b))
            sub.changed()
        else:
            for s in batch.rows():
                sub.declare_ground(label, s)
            sub.settle(flush=False)
        if progress_bar:
            progress_bar(done)
    if held:
        sub.install_bundle(label, Batch.join(held))
    if mode.kind == "declare":
        sub.settle()
    return len(sub.elementals) - before, n, width


def _batches(rows: Iterable[tuple], width: int) -> Iterator[tuple[Batch, int]]:
    """Rows cut into batches of :data:`CHUNK`, each with the number of rows done."""
    chunk: list[tuple] = []
    done = 0
    for r in rows:
        chunk.append(r)
        if len(chunk) >= CHUNK:
            done += len(chunk)
            yield Batch([list(c) for c in zip(*chunk)], len(chunk)), done
            chunk = []
    if chunk:
        done += len(chunk)
        yield Batch([list(c) for c in zip(*chunk)], len(chunk)), done


def _untell_rows(target: FactElemental, table, first: int, end: int) -> None:
    """Undo the rows ``first`` to ``end`` appended by an import, newest first, by position
    (undoing by value searched back past the rows already undone: quadratic, minutes after a
    Ctrl-C half-way through a large import)."""
    for r in range(end - 1, first - 1, -1):
        target.untell((table.arity, r, table.serial))


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
        made, _, _ = _store(sub, label, _batches(enumerate(_lines_fast(path, limit)), 2), mode, bar)
    finally:
        if bar:
            bar(None)
        give_back()
    return _report("txt", n, "lines", label, 2, mode, made, time.perf_counter() - t0)


def _open_csv(path: str) -> BinaryIO:
    if csv.field_size_limit() < MAX_LINE:
        csv.field_size_limit(MAX_LINE)     # a field may be as long as a line of /import.txt
    return _open(path)


def _csv_batches(path: str, limit: int, mode: ImportMode, plain: bool) -> Iterator[tuple[Batch, int]]:
    """The data rows of a CSV file as batches of parsed columns, each with the bytes read so
    far (header and blank rows skipped); a ragged row or malformed CSV is a DataError at
    ``path:line``. A *plain* file (no quote, no carriage return; see :func:`check_text`) is
    cut at line ends and separators by ``str.split``, a block at a time; any other goes
    through the csv module."""
    with _open_csv(path) as f:
        rows = _plain_rows(f, path, mode) if plain else _quoted_rows(f, path, mode)
        n = 0
        for lines, width, done in rows:
            if 0 <= limit <= n + len(lines):
                lines = lines[:max(0, limit - n)]
            n += len(lines)
            if lines:
                yield _columns(lines, width, mode.sep), done
            if 0 <= limit <= n:
                return


def _columns(rows: list, width: int, sep: str) -> Batch:
    """A batch of rows given as field lists, or as lines of ``width`` fields split by ``sep``."""
    if type(rows[0]) is list:
        cols = [list(c) for c in zip(*rows)]
    elif width == 1:
        cols = [rows]
    else:
        flat = sep.join(rows).split(sep)
        cols = [flat[i::width] for i in range(width)]
    return Batch([_parse_column(c) for c in cols], len(rows))


def _plain_rows(f: BinaryIO, path: str, mode: ImportMode) -> Iterator[tuple[list, int, int]]:
    """Blocks of rows of a plain CSV file: (lines, width, bytes read)."""
    sep = mode.sep
    width: int | None = None
    skip_header = mode.header
    line_no = 0                     # lines before this block
    done = 0
    carry = b""
    first = True
    while True:
        block = f.read(1 << 20)
        if block:
            data = carry + block
            nl = data.rfind(b"\n")
            if nl < 0:
                carry = data
                continue
            carry = data[nl + 1:]
            data = data[:nl + 1]
        elif carry:
            data, carry = carry, b""
        else:
            return
        done += len(data)
        if first and data.startswith(_BOM):
            data = data[3:]
        first = False
        all_lines = data.decode("utf-8").split("\n")
        if all_lines[-1] == "":
            all_lines.pop()
        base = line_no
        line_no += len(all_lines)
        lines = all_lines
        where: Any = range(len(lines))               # each data line's index in the block
        if skip_header or "" in lines:                # blank lines are skipped, as csv does
            where = [i for i, ln in enumerate(all_lines) if ln]
            if skip_header and where:
                skip_header = False
                width = all_lines[where[0]].count(sep) + 1
                where = where[1:]
            lines = [all_lines[i] for i in where]
        if not lines:
            continue
        if width is None:
            width = lines[0].count(sep) + 1
        if set(map(str.count, lines, repeat(sep))) != {width - 1}:
            for i, ln in enumerate(lines):
                k = ln.count(sep) + 1
                if k != width:
                    raise DataError(f"row has {k} field{'s' if k != 1 else ''}, expected {width}",
                                    f"{path}:{base + where[i] + 1}")
        yield lines, width, done


class _Counted:
    """Lines of a binary file decoded, counting the bytes read (for progress)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.done = 0

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.f:
            self.done += len(raw)
            if first and raw.startswith(_BOM):
                raw = raw[3:]
            first = False
            yield raw.decode("utf-8")


def _quoted_rows(f: BinaryIO, path: str, mode: ImportMode) -> Iterator[tuple[list, int, int]]:
    """Chunks of rows of any CSV file, through the csv module: (field lists, width, bytes read)."""
    lines = _Counted(f)
    reader = csv.reader(lines, delimiter=mode.sep, strict=True)
    width = None
    skip_header = mode.header
    chunk: list[list[str]] = []
    try:
        for row in reader:
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
            chunk.append(row)
            if len(chunk) >= CHUNK:
                yield chunk, width, lines.done
                chunk = []
    except csv.Error as e:
        raise DataError(f"malformed CSV: {e}", f"{path}:{reader.line_num}") from None
    if chunk:
        yield chunk, width or 0, lines.done


def _parse_column(texts: list[str]) -> list:
    """:func:`parse_field` of every field of a column, at C speed for the common columns:
    all plain digits (integers) or none starting like a number (strings)."""
    joined = "\n".join(texts)
    if joined.count("\n") == len(texts) - 1 and all(texts):
        if _all_integers(joined):
            ints = np.fromstring(joined, dtype=np.int64, sep="\n")   # parsed in C, never boxed
            if len(ints) == len(texts) and not ((ints == _I64.max) | (ints == _I64.min)).any():
                return ints
            return list(map(int, texts))       # a value numpy clamped to 64 bits: Python ints
        if joined[:1] not in _NUMERIC_START and not _NUMBER_START.search(joined):
            return texts
    return list(map(parse_field, texts))


def _all_integers(joined: str) -> bool:
    """Whether every line of ``joined`` (none empty) is ``-?[0-9]+``, by str methods (C loops)."""
    if "-" in joined:
        starts = joined.count("\n-") + joined.startswith("-")
        if joined.count("-") != starts or "-\n" in joined or joined.endswith("-"):
            return False
        joined = joined.replace("-", "")
    digits = joined.replace("\n", "")
    return digits.isdigit() and digits.isascii()


def import_csv(sub, path: str, label: str, limit: int = -1, options: Any = NIL,
               progress: Callable | None = None) -> str:
    """/import.csv: each row becomes label(f1, ..., fk); returns the report message.

    A row that does not fit (ragged, malformed) raises half-way; the console line's
    transaction then undoes what was imported before it."""
    mode = _mode("import.csv", options, True)
    t0 = time.perf_counter()
    plain = check_text(path, "CSV text")                   # check the whole file first
    size = os.path.getsize(path)
    bar = progress("import.csv", size) if progress and size > (1 << 20) else None
    try:
        made, n, width = _store(sub, label, _csv_batches(path, limit, mode, plain), mode, bar)
        if bar:
            bar(size)
    finally:
        if bar:
            bar(None)
        give_back()
    return _report("csv", n, "rows", label, width, mode, made, time.perf_counter() - t0)
