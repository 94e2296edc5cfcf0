"""Arithmetic primitives: the last argument is the result (unified, or checked when bound).

Each operation is defined once in :data:`OPERATIONS` and used both by its primitive
(``mul(2, 3, :x)``) and by ``eval``, which computes an expression term built at run time
(``eval(sum(:a, mul(:b, 2)), :x)``, Prolog's ``is/2``). Integer results are bounded by
:mod:`lang.limits`.
"""
from __future__ import annotations

import math
import random
from typing import Callable

from ..errors import ArgumentError, EvaluationError
from ..limits import TOO_LARGE, int_too_large
from ..printer import show
from ..terms import Compound, Symbol, Var, deref
from .registry import primitive


def _finite(name: str, r):
    """The result ``r`` of operation ``name``, or an error when it is too large to keep."""
    if type(r) is float:
        if not math.isfinite(r):
            raise EvaluationError(f"{name}: float overflow: the result is not a finite number")
    elif int_too_large(r):
        raise EvaluationError(f"{name}: {TOO_LARGE}")
    return r


def _add(*xs):
    return _finite("sum", sum(xs))


def _subtract(a, b):
    return _finite("sub", a - b)


def _multiply(*xs):
    r = 1
    for x in xs:
        if type(r) is int and type(x) is int and r.bit_length() + x.bit_length() > 2 * 332_193:
            raise EvaluationError(f"mul: {TOO_LARGE}")  # too large even to compute
        r *= x
    return _finite("mul", r)


def _divide(a, b):
    return _finite("div", a / b)


def _power(a, b):
    if type(a) is int and type(b) is int and b >= 0 and b > 100000 and abs(a) > 1:
        raise EvaluationError(f"pow: exponent {b} is too large")
    if type(a) is int and type(b) is int and b > 0 and abs(a) > 1 and (abs(a).bit_length() - 1) * b > 332_193:
        raise EvaluationError(f"pow: {TOO_LARGE}")
    try:
        r = a ** b
    except OverflowError:           # float ** : "(34, 'Numerical result out of range')"
        raise EvaluationError(f"pow: the result of {a} ** {b} is too large for a float") from None
    except ZeroDivisionError:       # 0.0 ** -1
        raise EvaluationError(f"pow: {a} ** {b} divides by zero") from None
    if type(r) is complex:
        raise EvaluationError("pow: the result is not a real number")
    return _finite("pow", r)


def _int_only(name: str, fn: Callable) -> Callable:
    def op(a, b):
        if type(a) is not int or type(b) is not int:
            raise EvaluationError(f"{name}: expected integers, found {show(a)} and {show(b)}")
        return fn(a, b)
    return op


# name -> (number of operands, or None for two or more; the function on numbers)
OPERATIONS: dict[str, tuple[int | None, Callable]] = {
    "sum": (None, _add),
    "sub": (2, _subtract),
    "mul": (None, _multiply),
    "div": (2, _divide),
    "div.int": (2, _int_only("div.int", lambda a, b: a // b)),
    "mod": (2, _int_only("mod", lambda a, b: a % b)),
    "abs": (1, abs),
    "neg": (1, lambda a: -a),
    "min": (2, lambda a, b: a if a <= b else b),
    "max": (2, lambda a, b: a if a >= b else b),
    "pow": (2, _power),
}


@primitive("sum", "num", "num", "out", variadic=1)
def _sum(m, *args):
    """Add all arguments but the last: sum(a, b, ..., :out)."""
    *xs, out = args
    return m.unify(out, _add(*xs))


@primitive("sub", "num", "num", "out")
def _sub(m, a, b, out):
    """Subtract: sub(a, b, :out) gives a - b."""
    return m.unify(out, _subtract(a, b))


@primitive("mul", "num", "num", "out", variadic=1)
def _mul(m, *args):
    """Multiply all arguments but the last: mul(a, b, ..., :out)."""
    *xs, out = args
    return m.unify(out, _multiply(*xs))


@primitive("div", "num", "num", "out")
def _div(m, a, b, out):
    """True division: div(a, b, :out) gives a / b as a float."""
    return m.unify(out, _divide(a, b))


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


@primitive("neg", "num", "out")
def _neg(m, a, out):
    """Negation: neg(3, :x) gives -3."""
    return m.unify(out, -a)


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
    return m.unify(out, _power(a, b))


@primitive("rand", "out")
def _rand(m, out):
    """A random float in [0, 1)."""
    return m.unify(out, random.random())


@primitive("eval", "any", "out")
def _eval(m, expr, out):
    """Compute an expression term: eval(sum(:a, mul(:b, 2)), :x). Numbers are themselves;
    sum, sub, mul, div, div.int, mod, abs, neg, min, max and pow work as the primitives
    of the same name (sum and mul take two or more operands)."""
    return m.unify(out, evaluate(expr))


def evaluate(expr) -> int | float:
    """The value of an arithmetic expression term (iterative: any depth)."""
    values: list = []
    stack: list = [expr]
    while stack:
        x = stack.pop()
        if type(x) is tuple:  # (name, n, fn): apply to the last n values
            name, n, fn = x
            args = values[len(values) - n:]
            del values[len(values) - n:]
            values.append(fn(*args))
            continue
        x = deref(x)
        tx = type(x)
        if tx is int or tx is float:
            values.append(x)
            continue
        if tx is Compound:
            op = OPERATIONS.get(x.name)
            if op is not None:
                n, fn = op
                if n == len(x.args) or (n is None and len(x.args) >= 2):
                    stack.append((x.name, len(x.args), fn))
                    stack.extend(reversed(x.args))
                    continue
                want = "two or more" if n is None else str(n)
                raise ArgumentError("eval", 1, f"{x.name} takes {want} operand(s) in an expression, "
                                    f"found {len(x.args)}")
        if tx is Var:
            raise ArgumentError("eval", 1, "the expression contains an unbound variable")
        what = x.name if tx is Symbol else show(x)
        if tx is Compound:
            what = f"{x.name}/{len(x.args)}"
        text = what if len(what) <= 40 else what[:37] + "..."
        raise ArgumentError("eval", 1, f"not an arithmetic expression: {text} (operations: "
                            + ", ".join(OPERATIONS) + ")")
    return values[0]
