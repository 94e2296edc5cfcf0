"""Compiling clause heads and goal arguments to Python functions, once, at load time.

A head such as ``([:h | :t], :l, [:h | :r])`` becomes a straight-line function that takes
the call's arguments and returns the filled frame (or None): each position is dereferenced
once, matched against the constant or structure the head expects, and variables are bound
in place with the binding recorded on the trail. Goal arguments become a function from the
frame to the argument list. This replaces a generic walk over templates at every call (the
interpreter's largest cost, measured with cProfile on nrev) by code specialised per clause.

The generated code only uses names passed in its namespace; templates never reach ``exec``
as source text except for numbers of slots and generated identifiers.
"""
from __future__ import annotations

from typing import Any, Callable

from .terms import NIL, Compound, Cons, Symbol, Var, occurs

__all__ = ["compile_head", "compile_builder"]


def _is_template(t: Any) -> bool:
    from .clauses import Slot, TCompound, TCons
    return type(t) in (Slot, TCons, TCompound)


class _Gen:
    """Accumulates lines of one generated function and its constants."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.nconst = 0
        self.ntmp = 0

    def const(self, value: Any) -> str:
        name = f"k{self.nconst}"
        self.nconst += 1
        self.consts[name] = value
        return name

    def tmp(self) -> str:
        name = f"x{self.ntmp}"
        self.ntmp += 1
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)


def _build_expr(g: _Gen, t: Any, seen: set, indent: int, names: dict) -> str:
    """An expression building template ``t``; unseen slots get fresh variables first."""
    from .clauses import Slot, TCompound, TCons
    tt = type(t)
    if tt is Slot:
        if t.i not in seen:
            g.emit(indent, f"f{t.i} = Var({t.name!r})")
            seen.add(t.i)
        return f"f{t.i}"
    if tt is TCons:
        return f"Cons({_build_expr(g, t.head, seen, indent, names)}, {_build_expr(g, t.tail, seen, indent, names)})"
    if tt is TCompound:
        args = ", ".join(_build_expr(g, a, seen, indent, names) for a in t.args)
        return f"Compound({g.const(t.name)}, ({args},))"
    return g.const(t)


def _deref(g: _Gen, x: str, src: str, indent: int) -> None:
    g.emit(indent, f"{x} = {src}")
    g.emit(indent, f"while type({x}) is Var:")
    g.emit(indent + 1, f"r = {x}.ref")
    g.emit(indent + 1, "if r is None:")
    g.emit(indent + 2, "break")
    g.emit(indent + 1, f"{x} = r")


def _match(g: _Gen, t: Any, src: str, seen: set, indent: int, names: dict) -> None:
    """Emit code matching template ``t`` against the term in expression ``src``."""
    from .clauses import Slot, TCompound, TCons
    tt = type(t)
    if tt is Slot:
        if t.i in seen:
            g.emit(indent, f"if not unify(f{t.i}, {src}):")
            g.emit(indent + 1, "return None")
        else:
            g.emit(indent, f"f{t.i} = {src}")
            seen.add(t.i)
        return
    x = g.tmp()
    _deref(g, x, src, indent)
    if tt is TCons or tt is TCompound:
        g.emit(indent, f"if type({x}) is Var:")
        # the occurs check, on the parts that come from the caller (fresh slots cannot hold x)
        for i in sorted(_slots(t) & seen):
            g.emit(indent + 1, f"if type(f{i}) is not int and occurs({x}, f{i}):")
            g.emit(indent + 2, "return None")
        seen_var = set(seen)
        expr = _build_expr(g, t, seen_var, indent + 1, names)
        g.emit(indent + 1, f"{x}.ref = {expr}")
        g.emit(indent + 1, f"trail.append({x})")
        seen_struct = set(seen)
        if tt is TCons:
            g.emit(indent, f"elif type({x}) is Cons:")
            _match(g, t.head, f"{x}.head", seen_struct, indent + 1, names)
            _match(g, t.tail, f"{x}.tail", seen_struct, indent + 1, names)
        else:
            k = g.const(t.name)
            g.emit(indent, f"elif type({x}) is Compound and {x}.name == {k} and len({x}.args) == {len(t.args)}:")
            g.emit(indent + 1, f"a_{x} = {x}.args")
            for i, a in enumerate(t.args):
                _match(g, a, f"a_{x}[{i}]", seen_struct, indent + 1, names)
        g.emit(indent, "else:")
        g.emit(indent + 1, "return None")
        seen |= seen_var | seen_struct
        return
    k = g.const(t)
    g.emit(indent, f"if type({x}) is Var:")
    g.emit(indent + 1, f"{x}.ref = {k}")
    g.emit(indent + 1, f"trail.append({x})")
    if type(t) is Symbol:
        g.emit(indent, f"elif {x} is not {k}:")
    elif type(t) is float and t == 0.0:  # 0.0 and -0.0 are equal numbers but do not unify
        g.emit(indent, f"elif type({x}) is not float or {x} != {k} or str({x}) != {g.const(str(t))}:")
    elif type(t) in (int, float, str):
        g.emit(indent, f"elif type({x}) is not {type(t).__name__} or {x} != {k}:")
    else:  # a ground list or compound
        g.emit(indent, f"elif not unify({x}, {k}):")
    g.emit(indent + 1, "return None")


_NAMESPACE = {"Var": Var, "Cons": Cons, "Compound": Compound, "NIL": NIL, "occurs": occurs}


def _slots(t: Any) -> set:
    """The slot numbers in template ``t``."""
    from .clauses import Slot, TCompound, TCons
    out: set = set()
    stack = [t]
    while stack:
        x = stack.pop()
        tx = type(x)
        if tx is Slot:
            out.add(x.i)
        elif tx is TCons:
            stack.append(x.head)
            stack.append(x.tail)
        elif tx is TCompound:
            stack.extend(x.args)
    return out


_MAX_DEPTH = 30
_factories: dict[str, Callable] = {}


def _depth(t: Any) -> int:
    from .clauses import TCompound, TCons
    tt = type(t)
    if tt is TCons:
        d, n = 0, 0
        while type(t) is TCons:
            d = max(d, _depth(t.head))
            t = t.tail
            n += 1
        return n + max(d, _depth(t))
    if tt is TCompound:
        return 1 + max((_depth(a) for a in t.args), default=0)
    return 0


def _instantiate(src: str, fname: str, consts: dict, extra: dict) -> Callable:
    """Compile ``src`` once per distinct text; bind this clause's constants into a fresh copy."""
    factory = _factories.get(src)
    if factory is None:
        names = sorted(consts, key=lambda k: int(k[1:]))
        body = "\n".join("    " + line for line in src.splitlines())
        wrapper = f"def factory({', '.join(names)}):\n{body}\n    return {fname}\n"
        ns = dict(_NAMESPACE)
        ns.update(extra)
        exec(compile(wrapper, f"<seltzer {fname}>", "exec"), ns)
        factory = _factories[src] = ns["factory"]
        factory.names = names
    return factory(*[consts[n] for n in factory.names])


def compile_head(head: tuple, nvars: int) -> Callable:
    """A function ``match(args, trail, unify) -> frame | None`` for a clause head."""
    if any(_depth(t) > _MAX_DEPTH for t in head):
        return _generic_head(head, nvars)
    g = _Gen()
    seen: set = set()
    n = len(head)
    if n:
        g.emit(1, ", ".join(f"a{i}" for i in range(n)) + ("," if n == 1 else "") + " = args")
    for i, t in enumerate(head):
        _match(g, t, f"a{i}", seen, 1, {})
    frame = ", ".join(f"f{i}" if i in seen else "None" for i in range(nvars))
    g.emit(1, f"return [{frame}]")
    src = "def match(args, trail, unify):\n" + "\n".join(g.lines) + "\n"
    return _instantiate(src, "match", g.consts, {})


def _generic_head(head: tuple, nvars: int) -> Callable:
    """The interpreted matcher, for heads too deep to compile to one Python function."""
    from .clauses import unify_head

    def match(args, trail, unify):
        frame = [None] * nvars

        def bind(v, t):
            v.ref = t
            trail.append(v)

        for t, x in zip(head, args):
            if not unify_head(t, x, frame, unify, bind):
                return None
        return frame

    return match


def _body_expr(t: Any, g: _Gen, known: set) -> str:
    from .clauses import Slot, TCompound, TCons
    tt = type(t)
    if tt is Slot:
        if t.i in known:
            return f"f[{t.i}]"
        return f"(f[{t.i}] if f[{t.i}] is not None else newvar(f, {t.i}, {t.name!r}))"
    if tt is TCons:
        return f"Cons({_body_expr(t.head, g, known)}, {_body_expr(t.tail, g, known)})"
    if tt is TCompound:
        args = ", ".join(_body_expr(a, g, known) for a in t.args)
        return f"Compound({g.const(t.name)}, ({args},))"
    return g.const(t)


def _newvar(f: list, i: int, name: str | None) -> Var:
    v = f[i] = Var(name)
    return v


def compile_builder(args: tuple, known: set) -> Callable:
    """A function ``build(frame) -> list`` instantiating goal argument templates.

    ``known`` holds the slots certainly set when the goal runs (head slots); others may
    still be empty and get a fresh variable on first use.
    """
    if any(_depth(t) > _MAX_DEPTH for t in args):
        from .clauses import build as build_one
        return lambda f: [build_one(a, f) for a in args]
    g = _Gen()
    exprs = ", ".join(_body_expr(a, g, known) for a in args)
    src = f"def build(f):\n    return [{exprs}]\n"
    return _instantiate(src, "build", g.consts, {"newvar": _newvar})
