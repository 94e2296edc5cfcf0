"""String primitives. Inputs marked ``text`` accept a string or a symbol; results are strings."""
from __future__ import annotations

from ..errors import EvaluationError
from ..limits import MAX_INT_DIGITS, TOO_LARGE
from ..printer import show, show_number
from ..terms import NIL, Symbol, make_list
from .registry import primitive


def as_text(x) -> str:
    """The text of a term as str.concat and str.tostr see it: strings bare, others printed."""
    tx = type(x)
    if tx is str:
        return x
    if tx is Symbol and x is not NIL:
        return x.name
    if tx is int or tx is float:
        return show_number(x)
    return show(x)


@primitive("str.len", "text", "out")
def _len(m, s, n):
    """Length in characters: str.len("GATTACA", :n) gives 7."""
    return m.unify(n, len(s))


@primitive("str.flip", "text", "out")
def _flip(m, s, out):
    """Reverse a string: str.flip("ACG", :r) gives "GCA"."""
    return m.unify(out, s[::-1])


@primitive("str.swap", "text", "text", "text", "out")
def _swap(m, s, frm, to, out):
    """Replace each char of `from` in s by the char at the same place in `to`, all at once:
    str.swap("AACG", "ACGT", "TGCA", :c) gives "TTGC" (the DNA complement)."""
    if len(frm) != len(to):
        raise EvaluationError(f"str.swap: 'from' and 'to' must have the same length ({len(frm)} vs {len(to)})")
    return m.unify(out, s.translate(str.maketrans(frm, to)))


@primitive("str.find", "text", "text", "out")
def _find(m, s, sub, pos):
    """0-based position of the first occurrence of sub in s; fails when there is none."""
    i = s.find(sub)
    return i >= 0 and m.unify(pos, i)


@primitive("str.sub", "text", "int", "int", "out")
def _sub(m, s, start, length, out):
    """The substring of `len` chars from `start` (0-based), clipped to the string's end."""
    if start < 0 or length < 0:
        raise EvaluationError(f"str.sub: start and length must not be negative ({start}, {length})")
    return m.unify(out, s[start:start + length])


@primitive("str.concat", "list", "out")
def _concat(m, items, out):
    """Concatenate a list of strings (symbols and numbers are written as text)."""
    return m.unify(out, "".join(as_text(x) for x in items))


@primitive("str.join", "list", "text", "out")
def _join(m, items, sep, out):
    """Join a list of strings with a separator: str.join(["a", "b"], ", ", :s) gives "a, b"."""
    return m.unify(out, sep.join(as_text(x) for x in items))


@primitive("str.trim", "text", "out")
def _trim(m, s, out):
    """Remove leading and trailing white space."""
    return m.unify(out, s.strip())


@primitive("str.tokenize", "text", "text", "out")
def _tokenize(m, s, seps, out):
    """Split s on any char of seps, dropping empty tokens: str.tokenize("a, b", ",", :l) gives ["a", " b"]."""
    tokens, cur = [], []
    sepset = set(seps)
    for ch in s:
        if ch in sepset:
            if cur:
                tokens.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        tokens.append("".join(cur))
    return m.unify(out, make_list(tokens))


@primitive("str.tosym", "text", "out")
def _tosym(m, s, out):
    """Turn a string into a symbol (any text is allowed; it prints quoted when needed)."""
    return m.unify(out, Symbol(s))


@primitive("str.tostr", "any", "out")
def _tostr(m, t, out):
    """The text of any term: strings as they are, symbols by name, others as printed."""
    return m.unify(out, as_text(t))


@primitive("str.tonum", "text", "out")
def _tonum(m, s, out):
    """Read a number from a string ("42" -> 42, "2.5" -> 2.5); fails when it is not one."""
    t = s.strip()
    if len(t.lstrip("+-")) > MAX_INT_DIGITS and t.lstrip("+-").isdigit():
        raise EvaluationError(f"str.tonum: {TOO_LARGE}")
    try:
        v = int(t)
    except ValueError:
        try:
            v = float(t)
        except ValueError:
            return False
        if v != v or v in (float("inf"), float("-inf")):
            return False
    return m.unify(out, v)


@primitive("str.upper", "text", "out")
def _upper(m, s, out):
    """Upper-case a string."""
    return m.unify(out, s.upper())


@primitive("str.lower", "text", "out")
def _lower(m, s, out):
    """Lower-case a string."""
    return m.unify(out, s.lower())


@primitive("str.startswith", "text", "text")
def _startswith(m, s, prefix):
    """Succeed when s starts with prefix."""
    return s.startswith(prefix)
