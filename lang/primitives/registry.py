"""The one table of primitives: name, arity, argument kinds, docstring, implementation.

A primitive is declared with :func:`primitive`; the registry checks the arguments' types
before the implementation runs, and attaches the primitive's name, the argument's position
and the goal's location to any error. ``/help`` and completion read :data:`REGISTRY`.

Argument kinds:
  ``any``   any term, dereferenced              ``out``   a result: unified, never checked
  ``num``   int or float                        ``int``   int
  ``text``  string or symbol, passed as str     ``str``   string
  ``list``  proper list, passed as a Python list of its (dereferenced) items
  ``term``  a symbol or compound (a statement such as ``frag(1, "AC")``)
  ``goal``  a goal (meta-primitives run by the solver)

An implementation gets the machine first, then the checked arguments. It returns ``True`` /
``False`` or, for a primitive with several solutions, an iterator that yields once per
solution (after making that solution's bindings with ``m.unify``).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ArgumentError, CompileError, EvaluationError, Location, SeltzerError
from ..terms import NIL, Compound, Cons, Symbol, Var, deref

__all__ = ["PrimitiveSpec", "REGISTRY", "primitive", "control"]


def _kind_name(kind: str) -> str:
    return {"num": "a number", "int": "an integer", "text": "a string or symbol", "str": "a string",
            "list": "a proper list", "term": "a statement (symbol or compound)"}.get(kind, kind)


def _describe(x: Any) -> str:
    from ..printer import show
    text = show(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _check(kind: str, x: Any) -> Any:
    """Return the value to pass for an argument of ``kind``, or raise ValueError(message)."""
    tx = type(x)
    if kind == "num":
        if tx is int or tx is float:
            return x
    elif kind == "int":
        if tx is int:
            return x
    elif kind == "text":
        if tx is str:
            return x
        if tx is Symbol:
            return x.name
    elif kind == "str":
        if tx is str:
            return x
    elif kind == "list":
        items = []
        while type(x) is Cons:
            items.append(deref(x.head))
            x = deref(x.tail)
        if x is NIL:
            return items
        if type(x) is Var:
            raise ValueError(f"is a partial list; expected {_kind_name(kind)}")
    elif kind == "term":
        if tx is Compound or (tx is Symbol and x is not NIL):
            return x
    if tx is Var:
        raise ValueError(f"is unbound; expected {_kind_name(kind)}")
    raise ValueError(f"expected {_kind_name(kind)}, found {_describe(x)}")


@dataclass(slots=True)
class PrimitiveSpec:
    """What the registry knows of one primitive; ``call`` is the checked entry point."""

    name: str
    kinds: tuple[str, ...]
    doc: str
    impl: Callable | None
    variadic: int | None = None  # index of the kind that may repeat: sum(a, b, ..., :out)
    group: str = ""
    op: int | None = None      # control primitives are run by the solver itself
    call: Callable = field(default=None, repr=False)

    @property
    def min_arity(self) -> int:
        return len(self.kinds)

    def signature(self) -> str:
        """A one-line usage such as ``str.find(s, sub, :pos)``."""
        names = list(self.kinds)
        r = self.variadic
        if r is not None:
            names = names[:r + 1] + ["..."] + names[r + 1:]
        return f"{self.name}({', '.join(names)})" if names else self.name

    def check_arity(self, n: int, loc: Location | None) -> None:
        """Raise CompileError when called with a number of arguments the primitive does not take."""
        if self.variadic is not None:
            if n >= self.min_arity:
                return
            want = f"at least {self.min_arity}"
        else:
            if n == len(self.kinds):
                return
            want = str(len(self.kinds))
        raise CompileError(f"{self.name} takes {want} argument(s), found {n}: {self.signature()}", loc)


REGISTRY: dict[str, PrimitiveSpec] = {}


_KIND_TEST = {
    "num": "(t is int or t is float)",
    "int": "t is int",
    "str": "t is str",
    "text": "t is str",
}


def _fail(name: str, i: int, kind: str, x: Any, loc):
    """Raise the ArgumentError for argument ``i`` (1-based) that is not of ``kind``."""
    try:
        _check(kind, x)
    except ValueError as e:
        raise ArgumentError(name, i, str(e), loc) from None
    raise ArgumentError(name, i, f"expected {_kind_name(kind)}", loc)


def _make_call(spec: PrimitiveSpec) -> Callable:
    """Build the checked entry point ``call(m, args, loc)`` for one primitive.

    Fixed-arity primitives get generated code: each argument is dereferenced and its kind
    tested inline (the generic loop cost ~2 µs per call on the E. coli search); variadic
    ones use the generic loop.
    """
    name, impl, kinds, variadic = spec.name, spec.impl, spec.kinds, spec.variadic

    if variadic is not None:
        # one generated entry point per arity actually used: sum(a, b, :x), sum(a, b, c, :x) ...
        by_arity: dict[int, Callable] = {}

        def call(m, args, loc):
            fn = by_arity.get(len(args))
            if fn is None:
                n_extra = len(args) - len(kinds) + 1
                ks = kinds[:variadic] + (kinds[variadic],) * n_extra + kinds[variadic + 1:]
                fn = by_arity[len(args)] = _generate(name, ks, lambda m, *vals: impl(m, *vals))
            return fn(m, args, loc)
        return call

    return _generate(name, kinds, impl)


def _generate(name: str, kinds: tuple, impl: Callable) -> Callable:
    """Generated code for a fixed list of argument kinds: deref and check inline, then call."""
    n = len(kinds)
    lines = ["def call(m, args, loc):"]
    names = [f"a{i}" for i in range(n)]
    if n:
        lines.append(f"    {', '.join(names)}{',' if n == 1 else ''} = args")
    for i, k in enumerate(kinds):
        a = names[i]
        lines.append(f"    while type({a}) is Var:")
        lines.append(f"        r = {a}.ref")
        lines.append("        if r is None:")
        lines.append("            break")
        lines.append(f"        {a} = r")
        if k in ("any", "out"):
            continue
        lines.append(f"    t = type({a})")
        if k in _KIND_TEST:
            if k == "text":
                lines.append(f"    if t is Symbol and {a} is not NIL:")
                lines.append(f"        {a} = {a}.name")
                lines.append("    elif t is not str:")
            else:
                lines.append(f"    if not {_KIND_TEST[k]}:")
            lines.append(f"        fail(NAME, {i + 1}, {k!r}, {a}, loc)")
        else:  # list, term: the general converter
            lines.append("    try:")
            lines.append(f"        {a} = check({k!r}, {a})")
            lines.append("    except ValueError as e:")
            lines.append(f"        raise ArgumentError(NAME, {i + 1}, str(e), loc) from None")
    lines.append("    try:")
    lines.append(f"        return impl(m{''.join(', ' + a for a in names)})")
    lines.append("    except SeltzerError as e:")
    lines.append("        if e.where is None:")
    lines.append("            e.where = loc")
    lines.append("        raise")
    lines.append("    except ZeroDivisionError:")
    lines.append("        raise EvaluationError(NAME + ': division by zero', loc) from None")
    lines.append("    except (OverflowError, ValueError, TypeError) as e:")
    lines.append("        raise EvaluationError(f'{NAME}: {e}', loc) from None")
    ns = {"Var": Var, "Symbol": Symbol, "NIL": NIL, "fail": _fail, "check": _check, "impl": impl,
          "NAME": name, "ArgumentError": ArgumentError, "SeltzerError": SeltzerError,
          "EvaluationError": EvaluationError}
    exec(compile("\n".join(lines) + "\n", f"<primitive {name}>", "exec"), ns)
    return ns["call"]


def primitive(name: str, *kinds: str, variadic: int | None = None, group: str = "") -> Callable:
    """Decorator: register ``fn(m, *args)`` as primitive ``name`` taking ``kinds``; its docstring is its help."""

    def register(fn: Callable) -> Callable:
        spec = PrimitiveSpec(name, tuple(kinds), inspect.cleandoc(fn.__doc__ or ""), fn, variadic,
                             group or fn.__module__.rsplit(".", 1)[-1])
        spec.call = _make_call(spec)
        REGISTRY[name] = spec
        return fn

    return register


def control(name: str, op: int, kinds: tuple[str, ...], doc: str, group: str = "control") -> None:
    """Register a control primitive the solver runs itself (``true``, ``all``, ``count``, ...)."""
    REGISTRY[name] = PrimitiveSpec(name, kinds, doc, None, None, group, op)
