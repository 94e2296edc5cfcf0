"""What crosses between the substrate and a host: goals and entries as codec blobs.

Ground statements with truth 1 (nearly every fact) travel as plain msgpack arrays through
:mod:`substrate.codec`, which decodes an ``(int, str)`` statement entirely in C and never
recurses (a 10**6-element list is fine). Any other entry — a Clause: variables, a truth
below 1, a caret — travels as its source text, parsed again on arrival (cached), so names,
truth and caret survive exactly as a ``.kb`` save would keep them.
"""
from __future__ import annotations

from typing import Any

from lang.clauses import build

from ..codec import pack_many, pack_statement, unpack_many, unpack_statement

__all__ = ["encode_entries", "decode_entries", "encode_goal", "decode_goal", "head_args"]

_CLAUSES: dict[str, Any] = {}   # source text -> Clause (entries are immutable: shared)
_CACHE_MAX = 20_000


def head_args(entry: Any) -> tuple:
    """A stored entry's arguments as terms (fresh variables for a non-ground statement)."""
    if type(entry) is tuple:
        return entry
    frame = [None] * entry.nvars
    return tuple(build(t, frame) for t in entry.head)


def encode_entries(entries: list) -> tuple[bytes, list]:
    """(blob, [(position, source text)] of the Clauses) for a list of entries."""
    special = []
    rows = entries
    for i, e in enumerate(entries):
        if type(e) is not tuple:
            if not special:
                rows = list(entries)
            from lang.printer import show_entry
            special.append((i, show_entry(e.source)))
            rows[i] = head_args(e)
    return pack_many(rows), special


def decode_entries(blob: bytes, special: list) -> list:
    """The entries :func:`encode_entries` encoded, in order."""
    out = [args for args, _ in unpack_many(blob)]
    for i, text in special:
        out[i] = clause_of(text)
    return out


def clause_of(text: str) -> Any:
    """The compiled entry written as ``text`` (one statement)."""
    c = _CLAUSES.get(text)
    if c is None:
        from lang.parser import parse_program
        from ..loader import compile_definitions
        (cd,) = compile_definitions(parse_program("x {\n" + text + ";\n}", "<remote>"))
        c = cd.entries[0]
        if len(_CLAUSES) >= _CACHE_MAX:
            _CLAUSES.clear()
        _CLAUSES[text] = c
    return c


def encode_goal(args) -> bytes:
    """A goal's arguments (bound variables resolved, unbound ones numbered) as bytes."""
    from lang.terms import resolve
    return pack_statement(tuple([resolve(a) for a in args]))


def decode_goal(blob: bytes) -> list:
    """The arguments of :func:`encode_goal` (fresh variables, sharing kept)."""
    return list(unpack_statement(blob)[0])


def encode_answers(rows: list, truths: list) -> tuple:
    """Solutions of a goal run on a host: its instantiated arguments and truth per solution.
    Returns (blob, positions of the answers that are not ground with truth 1)."""
    from lang.clauses import is_ground
    special = [i for i, (r, t) in enumerate(zip(rows, truths)) if t < 1.0 or not all(is_ground(a) for a in r)]
    return pack_many(rows, truths if special else None), special


def decode_answers(answer: tuple) -> list:
    """Alternatives the solver unifies with the goal: plain tuples, or Clauses for answers
    with variables or a truth below 1."""
    blob, special = answer
    rows = unpack_many(blob)
    out = [args for args, _ in rows]
    for i in special:
        args, truth = rows[i]
        out[i] = _answer_entry(args, truth)
    return out


def _answer_entry(args: tuple, truth: float):
    from lang.clauses import compile_entry
    from lang.primitives import REGISTRY
    from lang.program import Statement
    from lang.solver import copy_term
    from lang.terms import Compound, Var, term_depth_safe
    copy = copy_term(Compound("s", args))
    names: dict = {}
    for t in term_depth_safe(copy):
        if type(t) is Var and id(t) not in names:
            names[id(t)] = t
            t.name = f"_{len(names)}"
    return compile_entry(Statement(copy.args, truth), REGISTRY, runtime=True, data=True)
