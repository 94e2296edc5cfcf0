"""Arithmetic primitives: the last argument is the result (unified, or checked when bound)."""
from __future__ import annotations

import math
import random

from ..errors import EvaluationError
from .registry import primitive


def _finite(name: str, r):
    """The result ``r`` of primitive ``name``, or an error when a float overflowed to inf/nan."""
    if type(r) is float and not math.isfinite(r):
        raise EvaluationError(f"{name}: float overflow: the result is not a finite number")
    return r


@primitive("sum", "num", "num", "out", variadic=1)
def _sum(m, *args):
    """Add all arguments but the last: sum(a, b, ..., :out)."""
    *xs, out = args
    return m.unify(out, _finite("sum", sum(xs)))


@primitive("sub", "num", "num", "out")
def _sub(m, a, b, out):
    """Subtract: sub(a, b, :out) gives a - b."""
    return m.unify(out, _finite("sub", a - b))


@primitive("mul", "num", "num", "out", variadic=1)
def _mul(m, *args):
    """Multiply all arguments but the last: mul(a, b, ..., :out)."""
    *xs, out = args
    r = 1
    for x in xs:
        r *= x
    return m.unify(out, _finite("mul", r))


@primitive("div", "num", "num", "out")
def _div(m, a, b, out):
    """True division: div(a, b, :out) gives a / b as a float."""
    return m.unify(out, _finite("div", a / b))


@primitive("div.int", "int", "int", "out")
def _div_int(m, a, b, out):
    """Floor division of integers: div.int(7, 2, :q) gives 3."""
    return m.unify(out, a // b)


@primitive("mod", "int", "int", "out")
def _mod(m, a, b, out):
    """Remainder of floor division (sign of the divisor): mod(-7, 3, :r) gives 2."""
    return m.unify(out, a % b)


@primitive("abs", "num", "out")
def _abs(m, a, out):
    """Absolute value."""
    return m.unify(out, abs(a))


@primitive("min", "num", "num", "out")
def _min(m, a, b, out):
    """The smaller of two numbers."""
    return m.unify(out, a if a <= b else b)


@primitive("max", "num", "num", "out")
def _max(m, a, b, out):
    """The larger of two numbers."""
    return m.unify(out, a if a >= b else b)


@primitive("pow", "num", "num", "out")
def _pow(m, a, b, out):
    """Power: pow(2, 10, :x) gives 1024 (an int when both are ints and b >= 0)."""
    if type(a) is int and type(b) is int and b >= 0 and b > 100000:
        raise EvaluationError(f"pow: exponent {b} is too large")
    try:
        r = a ** b
    except OverflowError:           # float ** : "(34, 'Numerical result out of range')"
        raise EvaluationError(f"pow: the result of {a} ** {b} is too large for a float") from None
    except ZeroDivisionError:       # 0.0 ** -1
        raise EvaluationError(f"pow: {a} ** {b} divides by zero") from None
    if type(r) is complex:
        raise EvaluationError("pow: the result is not a real number")
    return m.unify(out, _finite("pow", r))


@primitive("rand", "out")
def _rand(m, out):
    """A random float in [0, 1)."""
    return m.unify(out, random.random())
