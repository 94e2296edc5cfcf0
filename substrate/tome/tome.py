"""Transcriptome ("tome") storage: import tiling-array text into .npy files and read them memory-mapped.

The data follows the memmap-transcriptome seed: text rows ``position strand v1 ... vk`` with strand
``W`` (+) or ``C`` (-), one value per tissue, rows sorted by position, one file per sequence id.
:func:`import_tome` turns one such file into two self-describing numpy files in a folder:

* ``posn.<seqid>.npy`` — int64 positions, unique and sorted (small: loaded into memory, so the binary
  search never touches the disk);
* ``data.<seqid>.npy`` — float32 values of shape ``(positions, 2, tissues)``, index 0 the + strand (W)
  and 1 the - strand (C); memory-mapped by :class:`Tome`, so a window reads only its own pages.

Where a position has only one strand, the missing strand gets the present strand's values (as the
seed does).  The import streams the text in chunks with vectorised numpy parsing (see
:func:`_parse_fast`; ~1.3M rows/s here where ``np.loadtxt`` manages ~0.7M), keeps memory bounded by the
chunk size, and writes to temporary names renamed into place only when the whole file was good.

This module depends only on numpy and :mod:`lang.errors`; it returns plain Python values so the
``tome`` elemental and the ``tome.*`` primitives can wrap it without knowing numpy.
"""
from __future__ import annotations

import io
import os
import threading
from typing import Callable

import numpy as np
from numpy.lib import format as npformat

from lang.errors import DataError, EvaluationError, StoreError

__all__ = ["import_tome", "Tome", "Mean", "Row", "ProgressFn", "CHUNK_BYTES"]

#: bytes of text parsed per step of the import; its peak memory is ~25 times this (temporaries)
CHUNK_BYTES = 1 << 20
#: ``on_progress(rows_so_far, bytes_read, bytes_total)``, called after every chunk
ProgressFn = Callable[[int, int, int], None]
#: per-tissue means of the + and - strands, or the two means of one tissue
Mean = tuple[list[float], list[float]] | tuple[float, float]
#: ``(position, plus values per tissue, minus values per tissue)``
Row = tuple[int, list[float], list[float]]

_POW10 = 10.0 ** np.arange(0, 40)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_NORMALIZE = bytes.maketrans(b"\t", b" ")   # tabs become spaces; carriage returns are deleted


# ---------------------------------------------------------------------------------------- parsing

class _Rows:
    """One parsed chunk: per text row its position, strand (True for C/minus), values and line."""

    __slots__ = ("pos", "minus", "vals", "line")

    def __init__(self, pos: np.ndarray, minus: np.ndarray, vals: np.ndarray, line: np.ndarray) -> None:
        self.pos, self.minus, self.vals, self.line = pos, minus, vals, line

    def __len__(self) -> int:
        return int(self.pos.size)

    def take(self, sl: slice) -> "_Rows":
        return _Rows(self.pos[sl], self.minus[sl], self.vals[sl], self.line[sl])

    @staticmethod
    def concat(a: "_Rows", b: "_Rows") -> "_Rows":
        return _Rows(*(np.concatenate([getattr(a, f), getattr(b, f)]) for f in _Rows.__slots__))


_M8 = np.uint64(0x00FF00FF00FF00FF)
_M16 = np.uint64(0x0000FFFF0000FFFF)
_M32 = np.uint64(0xFFFFFFFF)
_ASCII0 = np.uint64(0x3030303030303030)
_OVER9 = np.uint64(0x7676767676767676)      # added to a byte 0..9 keeps its high bit clear
_HIGH_BITS = np.uint64(0x8080808080808080)
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)
_U8, _U16, _U32 = np.uint64(8), np.uint64(16), np.uint64(32)


def _digits8(words: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of the last ``length`` (0..8) ASCII digits of big-endian 8-byte words, and a bad-digit flag.

    SWAR: xor with '0' maps digits to 0..9, the bytes above ``length`` are cleared, a byte is bad if
    it is not 0..9, then digit pairs, quads and octets are combined with three multiply-adds — eight
    digits per uint64 operation.  ``words`` (uint64) is overwritten.
    """
    x = words
    x ^= _ASCII0
    x &= _LOW_BYTES[length]
    t = x + _OVER9
    t |= x
    t &= _HIGH_BITS
    bad = t != 0
    for shift, mask, scale in ((_U8, _M8, 10), (_U16, _M16, 100), (_U32, _M32, 10000)):
        np.right_shift(x, shift, out=t)
        t &= mask
        t *= np.uint64(scale)
        x &= mask
        x += t
    return x, bad


def _digits(words: np.ndarray, end: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value of the ``length`` (0..16) digits ending at byte ``end``, and a bad flag.

    ``words[i]`` holds the 8 bytes before offset ``i`` as a big-endian uint64.
    """
    value, bad = _digits8(words[end].astype(np.uint64), np.minimum(length, 8))
    long = np.flatnonzero(length > 8)
    if long.size:
        high, high_bad = _digits8(words[end[long] - 8].astype(np.uint64), length[long] - 8)
        value[long] += high * np.uint64(10 ** 8)
        bad[long] |= high_bad
    return value, bad


def _parse_fast(data: bytes, tissues: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Positions, minus flags and values of a chunk in the canonical layout, or None to use the slow path.

    Canonical: every line is ``\\n``-terminated and has exactly ``tissues + 2`` non-empty fields
    separated by single spaces; positions are unsigned integers and values plain decimals
    (``-?digits[.digits]``, up to 16 digits either side of the point).  Every byte is checked, so a
    chunk that is not canonical — or not valid at all — returns None and the slow path decides.
    Instead of converting token by token, each token's last 8 (or 16) bytes are read as a big-endian
    uint64 at once and decoded with SWAR arithmetic.
    """
    fields = tissues + 2
    b = np.frombuffer(data, np.uint8)
    sep = np.flatnonzero(b <= 32)
    lines, rest = divmod(sep.size, fields)
    if rest or lines == 0:
        return None
    shape = (lines, fields)
    expected = np.full(fields, 32, np.uint8)
    expected[-1] = 10
    if not (b[sep].reshape(shape) == expected).all():
        return None
    start = np.empty_like(sep)
    start[0] = 0
    start[1:] = sep[:-1] + 1
    if (sep == start).any():                   # an empty field: double or leading space
        return None
    start, end = start.reshape(shape), sep.reshape(shape)
    # words[i] holds the 8 bytes before (original) offset i; 16 bytes of padding keep i - 8 >= 0
    padded = np.empty(b.size + 16, np.uint8)
    padded[:16] = 32
    padded[16:] = b
    words = np.ndarray((padded.size - 7,), dtype=">u8", buffer=padded, strides=(1,))[8:]
    pos_len = end[:, 0] - start[:, 0]
    if pos_len.max() > 16:
        return None
    pos, bad = _digits(words, end[:, 0], pos_len)
    if bad.any():
        return None
    strand = b[start[:, 1]]
    if ((end[:, 1] - start[:, 1]) != 1).any() or not ((strand == 87) | (strand == 67)).all():
        return None
    vs, ve = start[:, 2:].ravel(), end[:, 2:].ravel()
    negative = b[vs] == 45
    s1 = vs + negative
    dot = np.flatnonzero(b == 46)
    if dot.size == vs.size and (dot >= s1).all() and (dot < ve).all():
        point = dot                            # the usual case: one point in every value
    else:
        point = ve.copy()
        if dot.size:
            owner = np.searchsorted(ve, dot, side="right")
            if owner[-1] >= ve.size:
                return None
            point[owner] = dot                 # a second point in a value stays and fails below
    int_len = point - s1
    frac_len = np.maximum(ve - point - 1, 0)
    if (int_len < 0).any() or int_len.max() > 16 or frac_len.max() > 16 \
            or ((int_len + frac_len) == 0).any():
        return None
    if (ve - s1).max() <= 8:
        # usual case: sign-less token in one word; drop the point byte by shifting the digits
        # above it down, then all its digits decode at once
        word = words[ve].astype(np.uint64)
        low = _LOW_BYTES[frac_len]
        high = word >> (_U8 * (point < ve))
        high &= ~low
        word &= low
        word |= high
        mantissa, bad = _digits8(word, int_len + frac_len)
        if bad.any():
            return None
        vals = mantissa.astype(np.float64)
    else:
        whole, bad_i = _digits(words, point, int_len)
        frac, bad_f = _digits(words, ve, frac_len)
        if bad_i.any() or bad_f.any():
            return None
        vals = whole.astype(np.float64) * _POW10[frac_len] + frac.astype(np.float64)
    vals /= _POW10[frac_len]
    vals[negative] *= -1.0
    return pos.astype(np.int64), strand == 67, vals.reshape(lines, tissues)


def _parse_slow(data: bytes, tissues: int, first_line: int, path: str) -> _Rows:
    """Parse a chunk line by line with Python: any whitespace, exponents, blank lines; exact errors.

    Used when :func:`_parse_fast` declines a chunk; raises :class:`DataError` at ``path:line`` for the
    first malformed line.
    """
    fields = tissues + 2
    pos: list[int] = []
    minus: list[bool] = []
    vals: list[list[float]] = []
    line_no: list[int] = []
    for i, raw in enumerate(data.split(b"\n")):
        parts = raw.split()
        if not parts:
            continue
        where = f"{path}:{first_line + i}"
        if len(parts) != fields:
            raise DataError(f"expected {fields} fields (position, strand and {tissues} values), "
                            f"found {len(parts)}", where=where)
        try:
            p = int(parts[0])
        except ValueError:
            p = -1
        if p < 0:
            raise DataError(f"position {_show(parts[0])} is not a non-negative integer", where=where)
        if parts[1] not in (b"W", b"C"):
            raise DataError(f"strand {_show(parts[1])} is not W or C", where=where)
        row = []
        for field in parts[2:]:
            try:
                v = float(field)
            except ValueError:
                raise DataError(f"value {_show(field)} is not a number", where=where) from None
            if not abs(v) <= _FLOAT32_MAX:
                raise DataError(f"value {_show(field)} is not a finite float32", where=where)
            row.append(v)
        pos.append(p)
        minus.append(parts[1] == b"C")
        vals.append(row)
        line_no.append(first_line + i)
    return _Rows(np.array(pos, dtype=np.int64), np.array(minus, dtype=bool),
                 np.array(vals, dtype=np.float32).reshape(len(vals), tissues),
                 np.array(line_no, dtype=np.int64))


def _show(field: bytes) -> str:
    """A field as the user wrote it, quoted and shortened for an error message."""
    text = field.decode("utf-8", "replace")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _parse_chunk(data: bytes, tissues: int, first_line: int, path: str) -> _Rows:
    """Parse one chunk of whole lines: the fast path when it accepts the chunk, else the slow one."""
    if b"\r" in data or b"\t" in data:
        data = data.translate(_NORMALIZE, b"\r")
    fast = _parse_fast(data, tissues)
    if fast is None:
        return _parse_slow(data, tissues, first_line, path)
    pos, minus, vals = fast
    if vals.size and np.abs(vals).max() > _FLOAT32_MAX:
        return _parse_slow(data, tissues, first_line, path)    # names the line
    lines = np.arange(first_line, first_line + pos.size, dtype=np.int64)
    return _Rows(pos, minus, vals.astype(np.float32), lines)


# ---------------------------------------------------------------------------------- rows to table

def _table(rows: _Rows, tissues: int, path: str) -> tuple[np.ndarray, np.ndarray]:
    """Unique positions and their (positions, 2, tissues) values; checks the order, fills lone strands."""
    pos, minus = rows.pos, rows.minus
    step = np.diff(pos)
    back = np.flatnonzero(step < 0)
    if back.size:
        i = back[0] + 1
        raise DataError(f"position {pos[i]} comes after {pos[i - 1]}: rows must be sorted by position",
                        where=f"{path}:{rows.line[i]}")
    same = step == 0
    twice = np.flatnonzero((same & (minus[1:] == minus[:-1]))
                           | np.concatenate([same[:-1] & same[1:], [False]]))
    if twice.size:
        i = twice[0] + 1
        if not (minus[i] == minus[i - 1]):
            i += 1                              # a third row at one position
        raise DataError(f"position {pos[i]} has strand {'C' if minus[i] else 'W'} twice",
                        where=f"{path}:{rows.line[i]}")
    first = np.ones(pos.size, dtype=bool)
    first[1:] = ~same
    group = np.cumsum(first) - 1
    n = int(group[-1]) + 1 if pos.size else 0
    strand = minus.astype(np.intp)
    out = np.empty((n, 2, tissues), dtype=np.float32)
    out[group, strand] = rows.vals
    have = np.zeros((n, 2), dtype=bool)
    have[group, strand] = True
    lone = ~have[:, 1]
    out[lone, 1] = out[lone, 0]
    lone = ~have[:, 0]
    out[lone, 0] = out[lone, 1]
    return pos[first], out


# ------------------------------------------------------------------------------------ npy writing

class _NpyAppender:
    """A .npy file written in pieces along axis 0, its header given the final shape on :meth:`close`.

    The header is numpy's own (:func:`numpy.lib.format.write_array_header_1_0`), first written for the
    largest possible length and rewritten in place at the end, padded to the same size, so the file
    carries its dtype and shape and opens with ``open_memmap`` without copying the data again.
    """

    def __init__(self, path: str, dtype: np.dtype, tail: tuple[int, ...]) -> None:
        self.path, self.dtype, self.tail, self.rows = path, np.dtype(dtype), tail, 0
        self.file = open(path, "wb")
        self.header_size = len(self._header(np.iinfo(np.int64).max))
        self.file.write(self._header(np.iinfo(np.int64).max))

    def _header(self, rows: int) -> bytes:
        buf = io.BytesIO()
        npformat.write_array_header_1_0(buf, {"descr": npformat.dtype_to_descr(self.dtype),
                                              "fortran_order": False, "shape": (rows, *self.tail)})
        return buf.getvalue()

    def append(self, array: np.ndarray) -> None:
        """Write ``array`` (shape (n, *tail)) after the rows written so far."""
        self.file.write(np.ascontiguousarray(array, dtype=self.dtype).tobytes())
        self.rows += len(array)

    def close(self) -> None:
        """Rewrite the header with the real length and close the file."""
        header = self._header(self.rows)
        pad = self.header_size - len(header)   # numpy >= 1.24 pads headers so this is 0
        if pad:
            body = header[10:-1] + b" " * pad + b"\n"
            header = header[:8] + len(body).to_bytes(2, "little") + body
        self.file.seek(0)
        self.file.write(header)
        self.file.close()

    def discard(self) -> None:
        """Close and delete the file (after an error)."""
        self.file.close()
        _remove(self.path)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _check_seqid(seqid: int | str) -> str:
    """The seqid as used in file names; rejects ones that would escape the folder."""
    name = str(seqid)
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        raise StoreError(f"seqid {name!r} cannot be used in a file name")
    return name


# ----------------------------------------------------------------------------------------- import

def import_tome(path: str, folder: str, seqid: int | str, on_progress: ProgressFn | None = None,
                *, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Import the text file ``path`` as ``seqid`` into ``folder``; returns the number of data rows.

    Writes ``posn.<seqid>.npy`` and ``data.<seqid>.npy`` (see the module docstring), replacing earlier
    ones only when the whole file was read.  Raises :class:`DataError` naming ``path:line`` for a
    malformed or out-of-order row and :class:`StoreError` when the folder cannot be written.
    """
    name = _check_seqid(seqid)
    try:
        total = os.path.getsize(path)
        text = open(path, "rb")
    except OSError as e:
        raise DataError(f"cannot read tome data file: {e.strerror}", where=path) from e
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        text.close()
        raise StoreError(f"cannot create tome folder {folder!r}: {e.strerror}") from e
    final = {kind: os.path.join(folder, f"{kind}.{name}.npy") for kind in ("posn", "data")}
    temp = {kind: f"{p}.{os.getpid()}.{threading.get_ident()}.tmp" for kind, p in final.items()}
    writers: list[_NpyAppender] = []
    try:
        with text:
            rows = _stream(text, path, total, temp, writers, chunk_bytes, on_progress)
        for w in writers:
            w.close()
        for kind in ("data", "posn"):
            os.replace(temp[kind], final[kind])
        return rows
    except BaseException:
        for w in writers:
            w.discard()
        raise


def _stream(text: io.BufferedReader, path: str, total: int, temp: dict[str, str],
            writers: list[_NpyAppender], chunk_bytes: int, on_progress: ProgressFn | None) -> int:
    """The import loop: read whole-line chunks, parse, tabulate all but the last position, append."""
    tissues = 0
    carry: _Rows | None = None
    leftover = b""
    line = 1                                    # number of the chunk's first line
    done = rows = 0
    while True:
        block = text.read(chunk_bytes)
        done += len(block)
        eof = not block
        data = leftover + block
        if not eof:
            cut = data.rfind(b"\n") + 1
            if cut == 0:                        # a line longer than the chunk: read more
                leftover = data
                continue
            data, leftover = data[:cut], data[cut:]
        elif data.strip():
            data = data.rstrip() + b"\n"        # last line without newline, trailing blank lines
        else:
            data = b""
        if not tissues and data.strip():
            tissues = _count_tissues(data, path)
            try:
                writers.append(_NpyAppender(temp["posn"], np.int64, ()))
                writers.append(_NpyAppender(temp["data"], np.float32, (2, tissues)))
            except OSError as e:
                raise StoreError(f"cannot write tome files in {os.path.dirname(temp['posn'])!r}: "
                                 f"{e.strerror}") from e
        if tissues and data:
            chunk = _parse_chunk(data, tissues, line, path)
            rows += len(chunk)
            carry = chunk if carry is None else _Rows.concat(carry, chunk)
        line += data.count(b"\n")
        if carry is not None and len(carry):
            keep = len(carry) if eof else int(np.searchsorted(carry.pos, carry.pos[-1]))
            # tabulate everything before the last position; it may continue in the next chunk
            pos, table = _table(carry, tissues, path)
            if not eof:
                pos, table = pos[:-1], table[:-1]
            writers[0].append(pos)
            writers[1].append(table)
            carry = carry.take(slice(keep, None))
        if on_progress is not None:
            on_progress(rows, done, total)
        if eof:
            break
    if rows == 0:
        raise DataError("no data rows (expected lines 'position strand value ...')", where=path)
    return rows


def _count_tissues(data: bytes, path: str) -> int:
    """The number of tissues, from the first non-blank line's field count."""
    for i, raw in enumerate(data.split(b"\n")):
        fields = raw.split()
        if fields:
            if len(fields) < 3:
                raise DataError(f"expected position, strand and at least one value, found "
                                f"{len(fields)} field(s)", where=f"{path}:{i + 1}")
            return len(fields) - 2
    raise AssertionError("unreachable: called with a non-blank chunk")


# ------------------------------------------------------------------------------------------ read

class _Seq:
    """One seqid's arrays: positions in memory, values memory-mapped (read-only, shared by threads)."""

    __slots__ = ("pos", "data")

    def __init__(self, pos: np.ndarray, data: np.ndarray) -> None:
        self.pos, self.data = pos, data


class Tome:
    """Read access to a tome folder written by :func:`import_tome`.

    Each seqid's files are opened on first use: positions loaded into memory (``np.load``), values
    memory-mapped (``open_memmap(mode='r')``), so opening a folder costs nothing and a window mean
    reads only the pages of its rows.  Safe for concurrent readers: loading is done under a lock and
    the arrays are never written.  seqids may be given as int or str (files are named by ``str``).
    """

    def __init__(self, folder: str) -> None:
        if not os.path.isdir(folder):
            raise StoreError(f"tome folder {folder!r} does not exist (create it with /import.tome)")
        self.folder = folder
        self._seqs: dict[str, _Seq] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Tome({self.folder!r})"

    def seqids(self) -> list[str]:
        """The seqids with both files in the folder, numeric ones first in numeric order."""
        names = [f[5:-4] for f in os.listdir(self.folder) if f.startswith("posn.") and f.endswith(".npy")]
        names = [n for n in names if os.path.exists(os.path.join(self.folder, f"data.{n}.npy"))]
        return sorted(names, key=lambda n: (0, int(n), "") if n.isdigit() else (1, 0, n))

    def _seq(self, seqid: int | str) -> _Seq:
        """The arrays of ``seqid``, opened on first use."""
        name = str(seqid)
        seq = self._seqs.get(name)
        if seq is not None:
            return seq
        with self._lock:
            seq = self._seqs.get(name)
            if seq is None:
                seq = self._seqs[name] = self._open(name)
        return seq

    def _open(self, name: str) -> _Seq:
        posn = os.path.join(self.folder, f"posn.{name}.npy")
        data = os.path.join(self.folder, f"data.{name}.npy")
        if "/" in name or not (os.path.exists(posn) and os.path.exists(data)):
            known = ", ".join(self.seqids()) or "none"
            raise StoreError(f"no seqid {name!r} in tome folder {self.folder!r} (seqids: {known})")
        try:
            pos = np.load(posn)
            values = npformat.open_memmap(data, mode="r")
        except (OSError, ValueError) as e:
            raise StoreError(f"cannot open tome seqid {name!r} in {self.folder!r}: {e}") from e
        if pos.ndim != 1 or values.ndim != 3 or values.shape[:2] != (pos.size, 2):
            raise StoreError(f"tome seqid {name!r} in {self.folder!r} is damaged: positions "
                             f"{pos.shape} do not match values {values.shape}; import it again")
        return _Seq(pos, values)

    def tissues(self, seqid: int | str) -> int:
        """The number of tissues (values per strand) of ``seqid``."""
        return int(self._seq(seqid).data.shape[2])

    def extent(self, seqid: int | str) -> tuple[int, int, int]:
        """``(first position, last position, number of positions)`` of ``seqid``."""
        pos = self._seq(seqid).pos
        return int(pos[0]), int(pos[-1]), int(pos.size)

    def window(self, seqid: int | str, xmin: float, xmax: float) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``[xmin, xmax)`` and their (n, 2, tissues) values as numpy views (no copy)."""
        seq = self._seq(seqid)
        _check_bound("xmin", xmin)
        _check_bound("xmax", xmax)
        lo = int(seq.pos.searchsorted(xmin, side="left"))
        hi = int(seq.pos.searchsorted(xmax, side="left"))
        hi = max(lo, hi)
        return seq.pos[lo:hi], seq.data[lo:hi]

    def mean(self, seqid: int | str, xmin: float, xmax: float, tissue: int | None = None) -> Mean | None:
        """Per-tissue means of the + and - strands over the positions in ``[xmin, xmax)``, or None.

        With ``tissue`` (0-based) the two means of that tissue alone.  None (not NaN) when the range
        holds no position; an inverted range is empty.
        """
        tissue = self._check_tissue(seqid, tissue)
        _, values = self.window(seqid, xmin, xmax)
        if not len(values):
            return None
        if tissue is not None:
            means = values[:, :, tissue].mean(axis=0, dtype=np.float64)
            return float(means[0]), float(means[1])
        means = values.mean(axis=0, dtype=np.float64)
        return means[0].tolist(), means[1].tolist()

    def rows(self, seqid: int | str, xmin: float, xmax: float) -> list[Row]:
        """``(position, plus values, minus values)`` for every position in ``[xmin, xmax)``.

        Values are the stored float32 numbers given as the shortest decimal that reads back as the
        same float32 (``125.05``, not ``125.05000305175781``).
        """
        pos, values = self.window(seqid, xmin, xmax)
        if not len(pos):
            return []
        shortest = np.asarray(values).astype(str).astype(np.float64)
        return [(p, v[0], v[1]) for p, v in zip(pos.tolist(), shortest.tolist())]

    def _check_tissue(self, seqid: int | str, tissue: int | None) -> int | None:
        if tissue is None:
            return None
        count = self.tissues(seqid)
        if isinstance(tissue, bool) or not isinstance(tissue, (int, np.integer)) \
                or not 0 <= tissue < count:
            raise EvaluationError(f"tissue {tissue!r} is not one of 0..{count - 1} of seqid {seqid!r}")
        return int(tissue)


def _check_bound(name: str, value: object) -> None:
    """Range bounds are numbers (int or float); anything else is the caller's mistake."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise EvaluationError(f"{name} must be a number, not {value!r}")
