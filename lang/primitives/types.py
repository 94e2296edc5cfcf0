"""Type tests: each takes one argument and succeeds or fails."""
from __future__ import annotations

from ..terms import NIL, Compound, Cons, Symbol, Var, deref
from .registry import primitive


@primitive("is.var", "any")
def _is_var(m, x):
    """Succeed when the argument is an unbound variable."""
    return type(x) is Var


@primitive("is.num", "any")
def _is_num(m, x):
    """Succeed for an integer or a float."""
    return type(x) in (int, float)


@primitive("is.int", "any")
def _is_int(m, x):
    """Succeed for an integer."""
    return type(x) is int


@primitive("is.str", "any")
def _is_str(m, x):
    """Succeed for a string."""
    return type(x) is str


@primitive("is.sym", "any")
def _is_sym(m, x):
    """Succeed for a symbol (not the empty list)."""
    return type(x) is Symbol and x is not NIL


@primitive("is.list", "any")
def _is_list(m, x):
    """Succeed for a proper list ([] included)."""
    while type(x) is Cons:
        x = deref(x.tail)
    return x is NIL


@primitive("is.atomic", "any")
def _is_atomic(m, x):
    """Succeed for a number, a string, a symbol or [] (Prolog's atomic/1)."""
    return type(x) in (int, float, str, Symbol)


@primitive("is.compound", "any")
def _is_compound(m, x):
    """Succeed for a compound term or a list cell (Prolog's compound/1)."""
    return type(x) in (Compound, Cons)
