"""The one msgpack codec for terms and statements, shared by the LMDB store and ``.kbz`` snapshots.

Layout — canonical: equal ground terms give equal bytes, so encodings double as index keys.

* ``int`` in [-2**63, 2**64), ``float`` and ``str`` are plain msgpack values, so decoding them runs
  no Python code at all. ``1`` and ``1.0`` differ (msgpack int vs float64).
* ``Symbol`` is ext 1 (its UTF-8 name); an ``int`` outside 64 bits is ext 2 (minimal two's-complement
  big-endian bytes). Strings and symbols therefore never collide.
* A list, compound or unbound variable is ext 3 whose payload is ONE flat msgpack array of *tokens*
  in prefix order: ``<list> n item1 .. itemn tail``, ``<compound name> k arg1 .. argk``,
  ``<var> i`` (variables numbered by first occurrence); a list whose items are all atomic is
  ``<atom-list> [item1, .., itemn] tail``, one inner array that msgpack decodes in C. Flat, so a
  10**6-element list or a compound nested deeper than Python's recursion limit encodes and decodes
  with loops, never recursion, and msgpack's own nesting limits are never reached.
* A statement (tuple of argument terms) that is ground and has truth 1 is a plain msgpack array of its
  argument encodings (an ``(int, str)`` statement decodes entirely in C). Otherwise it is ext 4 with
  the flat payload ``[truth, tokens of arg1, tokens of arg2, ...]``: variables are numbered across
  the whole statement, so sharing between arguments survives the round trip.

Index keys (:func:`index_key`) use the same encoding with ``-0.0`` folded to ``0.0`` (they unify),
hash encodings longer than LMDB's 511-byte key limit, and map every non-ground term to one wildcard
key. Both special keys start with byte 0xC1, which msgpack never emits, so no real encoding equals
them.
"""
from __future__ import annotations

import hashlib
from itertools import islice
from typing import Any, BinaryIO, Iterator, Sequence

import msgpack
from msgpack import ExtType

from lang.terms import Compound, Cons, Symbol, Var, deref

from .memory import paused_gc

__all__ = [
    "CodecError", "encode_term", "decode_term", "pack_statement", "unpack_statement",
    "pack_many", "unpack_many", "iter_statements", "term_key", "index_key", "key_for",
    "WILDCARD_KEY", "HASHED_PREFIX", "MAX_KEY_SIZE",
]

# Ext type codes. 1-4 may appear at the top level of an encoding; 5-8 only inside a token payload.
_SYM, _BIG, _TERM, _STMT, _CMP, _LIST, _VAR, _ALIST = 1, 2, 3, 4, 5, 6, 7, 8

_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1   # what msgpack holds natively
MAX_KEY_SIZE = 511                               # LMDB's default (compile-time) key limit
WILDCARD_KEY = b"\xc1*"                          # index key of every non-ground argument
HASHED_PREFIX = b"\xc1#"                         # + blake2b-256 of an over-long encoding

# One shared packer: it has no Python callbacks (no ``default``), so a pack() runs start to end
# under the GIL and threads cannot interleave in its buffer; a Packer per call would malloc 256 KiB.
_PACK = msgpack.Packer(use_bin_type=True, strict_types=True, unicode_errors="surrogatepass").pack
_LIST_EXT = ExtType(_LIST, b"")
_VAR_EXT = ExtType(_VAR, b"")
_ALIST_EXT = ExtType(_ALIST, b"")
_NAN = float("nan")


class CodecError(ValueError):
    """Bytes that are not a valid encoding (a corrupt record or a foreign file)."""


class _Hdr:
    """A structure header met while decoding a token payload (never escapes this module)."""

    __slots__ = ("kind", "name")

    def __init__(self, kind: int, name: str = "") -> None:
        self.kind = kind
        self.name = name


class _Stmt:
    """A decoded ext-4 statement: its arguments and truth."""

    __slots__ = ("args", "truth")

    def __init__(self, args: tuple, truth: float) -> None:
        self.args = args
        self.truth = truth


_LIST_HDR = _Hdr(_LIST)
_VAR_HDR = _Hdr(_VAR)
_ALIST_HDR = _Hdr(_ALIST)
# Decode caches: symbols are interned forever anyway, compound names are few.
_SYM_BY_BYTES: dict[bytes, Symbol] = {}
_CMP_BY_BYTES: dict[bytes, _Hdr] = {}
_EXT_BY_SYM: dict[Symbol, ExtType] = {}
_EXT_BY_NAME: dict[str, ExtType] = {}


# ---------------------------------------------------------------- encoding

def _sym_ext(s: Symbol) -> ExtType:
    e = _EXT_BY_SYM.get(s)
    if e is None:
        e = _EXT_BY_SYM[s] = ExtType(_SYM, s.name.encode("utf-8", "surrogatepass"))
    return e


def _big_ext(n: int) -> ExtType:
    return ExtType(_BIG, n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True))


def _cmp_ext(name: str) -> ExtType:
    e = _EXT_BY_NAME.get(name)
    if e is None:
        if type(name) is not str:
            raise TypeError(f"compound name must be a str, got {type(name).__name__}")
        e = _EXT_BY_NAME[name] = ExtType(_CMP, name.encode("utf-8", "surrogatepass"))
    return e


def _emit_tokens(t: Any, out: list, numbering: dict, fold: bool) -> None:
    """Append the prefix-order tokens of term ``t`` to ``out``; mutates ``out`` and ``numbering``."""
    stack = [t]
    pop, push, emit = stack.pop, stack.append, out.append
    while stack:
        x = pop()
        tx = type(x)
        if tx is Var:
            x = deref(x)
            tx = type(x)
        if tx is str:
            emit(x)
        elif tx is int:
            emit(x if _INT_MIN <= x <= _INT_MAX else _big_ext(x))
        elif tx is float:
            emit(x if not fold else (0.0 if x == 0.0 else (_NAN if x != x else x)))
        elif tx is Symbol:
            emit(_sym_ext(x))
        elif tx is Cons:
            items = []
            while type(x) is Cons:
                items.append(x.head)
                x = deref(x.tail)
            atoms = _atoms(items, fold)
            if atoms is not None:        # all items atomic: one msgpack array, decoded in C
                emit(_ALIST_EXT)
                emit(atoms)
                push(x)
            else:
                emit(_LIST_EXT)
                emit(len(items))
                push(x)                  # the tail comes after the items
                items.reverse()
                stack.extend(items)
        elif tx is Compound:
            emit(_cmp_ext(x.name))
            emit(len(x.args))
            stack.extend(reversed(x.args))
        elif tx is Var:
            n = numbering.get(x)
            if n is None:
                n = numbering[x] = len(numbering)
            emit(_VAR_EXT)
            emit(n)
        else:
            raise TypeError(f"not a term: {x!r} ({tx.__name__})")


def _atoms(items: list, fold: bool) -> list | None:
    """The msgpack-ready atoms for list ``items``, or None if any item is a structure or a variable."""
    out = []
    emit = out.append
    for x in items:
        tx = type(x)
        if tx is Var:
            x = deref(x)
            tx = type(x)
        if tx is str or (tx is int and _INT_MIN <= x <= _INT_MAX) or (tx is float and not fold):
            emit(x)
        elif tx is Symbol:
            emit(_sym_ext(x))
        elif tx is int:
            emit(_big_ext(x))
        elif tx is float:
            emit(0.0 if x == 0.0 else (_NAN if x != x else x))
        else:
            return None
    return out


def _plain(t: Any, fold: bool) -> Any:
    """The msgpack-ready object for term ``t`` as a statement argument, or None if not ground."""
    t = deref(t)
    tt = type(t)
    if tt is str:
        return t
    if tt is int:
        return t if _INT_MIN <= t <= _INT_MAX else _big_ext(t)
    if tt is float:
        return t if not fold else (0.0 if t == 0.0 else (_NAN if t != t else t))
    if tt is Symbol:
        return _sym_ext(t)
    tokens: list = []
    numbering: dict = {}
    _emit_tokens(t, tokens, numbering, fold)
    if numbering:
        return None
    return ExtType(_TERM, _PACK(tokens))


def encode_term(t: Any) -> bytes:
    """Canonical bytes of term ``t`` (variables numbered by first occurrence); see module doc."""
    obj = _plain(t, False)
    if obj is None:
        tokens: list = []
        _emit_tokens(t, tokens, {}, False)
        obj = ExtType(_TERM, _PACK(tokens))
    return _PACK(obj)


def term_key(t: Any) -> bytes | None:
    """Canonical bytes of a ground term with ``-0.0`` folded to ``0.0``; None if ``t`` has variables."""
    obj = _plain(t, True)
    return None if obj is None else _PACK(obj)


def key_for(k: bytes | None) -> bytes:
    """The LMDB key for a :func:`term_key`: itself, its hash if over-long, the wildcard if None."""
    if k is None:
        return WILDCARD_KEY
    if len(k) > MAX_KEY_SIZE:
        return HASHED_PREFIX + hashlib.blake2b(k, digest_size=32).digest()
    return k


def index_key(t: Any) -> bytes:
    """The LMDB index key of argument ``t``: :func:`term_key`, hashed if over-long, or the wildcard."""
    return key_for(term_key(t))


def pack_statement(args: Sequence, truth: float = 1.0) -> bytes:
    """Bytes of one statement (a tuple of argument terms) with its truth value in [0, 1]."""
    if truth != 1.0:
        if type(truth) not in (int, float) or not 0.0 <= truth <= 1.0:
            raise ValueError(f"truth must be a number in [0, 1], got {truth!r}")
    else:
        items = []
        for a in args:
            ta = type(a)
            if ta is str or ta is float or (ta is int and _INT_MIN <= a <= _INT_MAX):
                items.append(a)
                continue
            obj = _plain(a, False)
            if obj is None:
                break
            items.append(obj)
        else:
            return _PACK(items)
    tokens: list = [float(truth)]
    numbering: dict = {}
    for a in args:
        _emit_tokens(a, tokens, numbering, False)
    return _PACK(ExtType(_STMT, _PACK(tokens)))


def _array_header(n: int) -> bytes:
    if n < 16:
        return bytes((0x90 | n,))
    if n < 1 << 16:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def pack_many(statements: Sequence[Sequence], truths: Sequence[float] | None = None) -> bytes:
    """One blob holding many statements (a msgpack array of :func:`pack_statement` encodings)."""
    if truths is None:
        parts = [pack_statement(s) for s in statements]
    else:
        if len(truths) != len(statements):
            raise ValueError("pack_many: statements and truths differ in length")
        parts = [pack_statement(s, t) for s, t in zip(statements, truths)]
    return _array_header(len(parts)) + b"".join(parts)


# ---------------------------------------------------------------- decoding

def _build(tokens: Sequence, start: int, variables: dict) -> list:
    """The terms spelled by ``tokens[start:]`` (prefix order), built bottom-up without recursion."""
    stack: list = []
    push, pop = stack.append, stack.pop
    for tok in islice(reversed(tokens), len(tokens) - start):
        if type(tok) is not _Hdr:
            push(tok)
            continue
        n = pop()                          # the token that follows every header
        kind = tok.kind
        if kind == _ALIST:                 # n is the tuple of the list's atoms
            cell = pop()
            for item in reversed(n):
                cell = Cons(item, cell)
            push(cell)
        elif kind == _CMP:
            if n:
                args = stack[-n:]
                del stack[-n:]
                args.reverse()
                push(Compound(tok.name, tuple(args)))
            else:
                push(Compound(tok.name, ()))
        elif kind == _LIST:
            if n:
                items = stack[-n:]         # last item first
                del stack[-n:]
            else:
                items = []
            cell = pop()                   # the tail
            for item in items:
                cell = Cons(item, cell)
            push(cell)
        else:
            v = variables.get(n)
            if v is None:
                v = variables[n] = Var()
            push(v)
    stack.reverse()
    return stack


_BIG_PAYLOAD = 1 << 16


def _decode_payload(data: bytes, start: int) -> tuple[Any, list]:
    """The tokens of a payload and the terms they spell from ``start`` on. For a large payload the
    cyclic GC is paused: building 10**6 cells otherwise triggers collections that scan every live
    object, doubling the decode time (measured)."""
    if len(data) <= _BIG_PAYLOAD:
        tokens = _unpack(data)
        return tokens, _build(tokens, start, {})
    with paused_gc():
        tokens = _unpack(data)
        return tokens, _build(tokens, start, {})


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _SYM:
        s = _SYM_BY_BYTES.get(data)
        if s is None:
            s = _SYM_BY_BYTES[data] = Symbol(data.decode("utf-8", "surrogatepass"))
        return s
    if code == _CMP:
        h = _CMP_BY_BYTES.get(data)
        if h is None:
            h = _CMP_BY_BYTES[data] = _Hdr(_CMP, data.decode("utf-8", "surrogatepass"))
        return h
    if code == _LIST:
        return _LIST_HDR
    if code == _VAR:
        return _VAR_HDR
    if code == _ALIST:
        return _ALIST_HDR
    if code == _TERM:
        terms = _decode_payload(data, 0)[1]
        if len(terms) != 1:
            raise CodecError(f"term payload holds {len(terms)} terms, expected 1")
        return terms[0]
    if code == _STMT:
        tokens, args = _decode_payload(data, 1)
        return _Stmt(tuple(args), tokens[0])
    if code == _BIG:
        return int.from_bytes(data, "big", signed=True)
    raise CodecError(f"unknown ext type {code}")


def _unpack(b: bytes) -> Any:
    return msgpack.unpackb(b, use_list=False, ext_hook=_ext_hook, unicode_errors="surrogatepass")


_DECODE_ERRORS = (ValueError, TypeError, IndexError, KeyError, msgpack.UnpackException)


def decode_term(b: bytes) -> Any:
    """The term encoded by :func:`encode_term` (fresh variables for its numbered ones)."""
    try:
        t = _unpack(b)
    except _DECODE_ERRORS as e:
        raise CodecError(f"not a term encoding: {e}") from e
    if type(t) in (tuple, _Stmt, _Hdr):
        raise CodecError("not a term encoding: found a statement or a token")
    return t


def _statement(obj: Any) -> tuple[tuple, float]:
    if type(obj) is tuple:
        return obj, 1.0
    if type(obj) is _Stmt:
        return obj.args, obj.truth
    raise CodecError(f"not a statement encoding: found {type(obj).__name__}")


def unpack_statement(b: bytes) -> tuple[tuple, float]:
    """The ``(args, truth)`` packed by :func:`pack_statement`; variables come back fresh, sharing kept."""
    try:
        obj = _unpack(b)
    except _DECODE_ERRORS as e:
        raise CodecError(f"not a statement encoding: {e}") from e
    return _statement(obj)


def unpack_many(b: bytes) -> list[tuple[tuple, float]]:
    """The ``(args, truth)`` pairs of a :func:`pack_many` blob, in order."""
    try:
        rows = _unpack(b)
    except _DECODE_ERRORS as e:
        raise CodecError(f"not a statement blob: {e}") from e
    if type(rows) is not tuple:
        raise CodecError("not a statement blob: not an array")
    return [(r, 1.0) if type(r) is tuple else _statement(r) for r in rows]


def iter_statements(stream: BinaryIO) -> Iterator[tuple[tuple, float]]:
    """Stream the ``(args, truth)`` pairs of a file of concatenated :func:`pack_statement` records."""
    unpacker = msgpack.Unpacker(stream, use_list=False, ext_hook=_ext_hook,
                                unicode_errors="surrogatepass", max_buffer_size=1 << 31)
    try:
        for obj in unpacker:
            yield _statement(obj)
    except _DECODE_ERRORS as e:
        raise CodecError(f"not a statement stream: {e}") from e

