"""Compiling clauses to Python functions, once, at load time.

Three kinds of function are generated (the execution model is described in
docs/decisions.md, "The solver's execution model"):

* a clause **head** ``([:h | :t], :l, [:h | :r])`` becomes a straight-line function
  ``match(args, trail, unify, barrier, stamp) -> frame | None``: each argument is
  dereferenced once, matched against the constant or structure the head expects, and
  variables are bound in place. A binding is recorded on the trail only when the variable is
  older than the newest choicepoint (``var.stamp < barrier``: conditional trailing). The new
  frame is a list with one cell per clause variable and the frame's stamp last;
* a **call's arguments** become ``build(frame) -> list``. A clause variable first mentioned
  in a body goal is made fresh there, unconditionally (never "reuse the cell if it is set"):
  after backtracking into the middle of a body, the cell may hold what an abandoned branch
  put there, as a WAM's ``put_variable`` overwrites its register;
* a run of consecutive **simple primitives** (arithmetic, comparisons, type tests, ``eq``)
  becomes one function ``run(frame, m) -> bool`` with the common case (integers) inlined and
  a result stored straight into the frame cell of a first occurrence: ``sub(:x, 1, :x1)``
  allocates nothing. Anything else (floats, strings, errors) calls the primitive's checked
  entry point, so behaviour and error messages are the registry's.

The generated code only uses names passed in its namespace; templates never reach ``exec``
as source text except for numbers of slots and generated identifiers.
"""
from __future__ import annotations

from typing import Any, Callable

from .terms import NIL, Compound, Cons, Symbol, Var, occurs

__all__ = ["compile_head", "data_head", "compile_builder", "compile_inline", "INLINE"]

_new = object.__new__


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

    def tmp(self, prefix: str = "x") -> str:
        name = f"{prefix}{self.ntmp}"
        self.ntmp += 1
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)


def _new_var(g: _Gen, indent: int, target: str, name: str | None, stamp: str) -> None:
    """Emit ``target = a fresh Var`` without a Python-level __init__ call (half the cost)."""
    g.emit(indent, f"{target} = new(Var)")
    g.emit(indent, f"{target}.ref = None")
    g.emit(indent, f"{target}.name = {name!r}")
    g.emit(indent, f"{target}.stamp = {stamp}")


def _cons_expr(g: _Gen, indent: int, head: str, tail: str) -> str:
    c = g.tmp("c")
    g.emit(indent, f"{c} = new(Cons)")
    g.emit(indent, f"{c}.head = {head}")
    g.emit(indent, f"{c}.tail = {tail}")
    return c


def _build_expr(g: _Gen, t: Any, seen: set, indent: int, slot, stamp: str) -> str:
    """Emit statements building template ``t``; return a simple expression for it.

    ``slot(i)`` is the expression of slot i's cell; a slot not in ``seen`` is given a
    fresh variable first (and added to ``seen``).
    """
    from .clauses import Slot, TCompound, TCons
    tt = type(t)
    if tt is Slot:
        if t.i not in seen:
            v = g.tmp("v")
            _new_var(g, indent, v, t.name, stamp)
            g.emit(indent, f"{slot(t.i)} = {v}")
            seen.add(t.i)
            return v
        return slot(t.i)
    if tt is TCons:
        # the spine iteratively (source lists can be long): build items first, then cells
        items = []
        while type(t) is TCons:
            items.append(_build_expr(g, t.head, seen, indent, slot, stamp))
            t = t.tail
        out = _build_expr(g, t, seen, indent, slot, stamp)
        for item in reversed(items):
            out = _cons_expr(g, indent, item, out)
        return out
    if tt is TCompound:
        args = [_build_expr(g, a, seen, indent, slot, stamp) for a in t.args]
        return f"Compound({g.const(t.name)}, ({', '.join(args)},))"
    return g.const(t)


def _deref(g: _Gen, x: str, src: str, indent: int) -> None:
    g.emit(indent, f"{x} = {src}")
    g.emit(indent, f"while type({x}) is Var:")
    g.emit(indent + 1, f"r = {x}.ref")
    g.emit(indent + 1, "if r is None:")
    g.emit(indent + 2, "break")
    g.emit(indent + 1, f"{x} = r")


def _bind(g: _Gen, indent: int, x: str, value: str) -> None:
    """Bind unbound variable ``x``; trail it only when it is older than the newest choicepoint."""
    g.emit(indent, f"{x}.ref = {value}")
    g.emit(indent, f"if {x}.stamp < barrier:")
    g.emit(indent + 1, f"trail.append({x})")


def _match(g: _Gen, t: Any, src: str, seen: set, indent: int) -> None:
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
        expr = _build_expr(g, t, seen_var, indent + 1, lambda i: f"f{i}", "stamp")
        _bind(g, indent + 1, x, expr)
        seen_struct = set(seen)
        if tt is TCons:
            g.emit(indent, f"elif type({x}) is Cons:")
            _match(g, t.head, f"{x}.head", seen_struct, indent + 1)
            _match(g, t.tail, f"{x}.tail", seen_struct, indent + 1)
        else:
            k = g.const(t.name)
            g.emit(indent, f"elif type({x}) is Compound and {x}.name == {k} and len({x}.args) == {len(t.args)}:")
            g.emit(indent + 1, f"a_{x} = {x}.args")
            for i, a in enumerate(t.args):
                _match(g, a, f"a_{x}[{i}]", seen_struct, indent + 1)
        g.emit(indent, "else:")
        g.emit(indent + 1, "return None")
        # both branches set exactly the slots of t: either set may stand for them
        seen |= seen_var | seen_struct
        return
    k = g.const(t)
    g.emit(indent, f"if type({x}) is Var:")
    _bind(g, indent + 1, x, k)
    if type(t) is Symbol:
        g.emit(indent, f"elif {x} is not {k}:")
    elif type(t) is float and t == 0.0:  # 0.0 and -0.0 are equal numbers but do not unify
        g.emit(indent, f"elif type({x}) is not float or {x} != {k} or str({x}) != {g.const(str(t))}:")
    elif type(t) in (int, float, str):
        g.emit(indent, f"elif type({x}) is not {type(t).__name__} or {x} != {k}:")
    else:  # a ground list or compound
        g.emit(indent, f"elif not unify({x}, {k}):")
    g.emit(indent + 1, "return None")


_NAMESPACE = {"Var": Var, "Cons": Cons, "Compound": Compound, "NIL": NIL, "Symbol": Symbol, "new": _new,
              "occurs": occurs}


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


def _instantiate(src: str, fname: str, consts: dict, extra: dict | None = None) -> Callable:
    """Compile ``src`` once per distinct text; bind this clause's constants into a fresh copy."""
    factory = _factories.get(src)
    if factory is None:
        names = sorted(consts, key=lambda k: int(k[1:]))
        body = "\n".join("    " + line for line in src.splitlines())
        wrapper = f"def factory({', '.join(names)}):\n{body}\n    return {fname}\n"
        ns = dict(_NAMESPACE)
        if extra:
            ns.update(extra)
        exec(compile(wrapper, f"<seltzer {fname}>", "exec"), ns)
        factory = _factories[src] = ns["factory"]
        factory.names = names
    return factory(*[consts[n] for n in factory.names])


# ---------------------------------------------------------------------------------------------
# heads

def compile_head(head: tuple, nvars: int) -> Callable:
    """A function ``match(args, trail, unify, barrier, stamp) -> frame | None`` for a clause head."""
    if any(_depth(t) > _MAX_DEPTH for t in head):
        return _generic_head(head, nvars)
    g = _Gen()
    seen: set = set()
    n = len(head)
    if n:
        g.emit(1, ", ".join(f"a{i}" for i in range(n)) + ("," if n == 1 else "") + " = args")
    for i, t in enumerate(head):
        _match(g, t, f"a{i}", seen, 1)
    cells = [f"f{i}" if i in seen else "None" for i in range(nvars)]
    g.emit(1, f"return [{', '.join(cells + ['stamp'])}]")
    src = "def match(args, trail, unify, barrier, stamp):\n" + "\n".join(g.lines) + "\n"
    return _instantiate(src, "match", g.consts)


def data_head(head: tuple, nvars: int) -> Callable:
    """The matcher of a statement kept as data: each head argument is instantiated (fresh
    variables, stamp 0: their bindings are always trailed) and unified with the goal's, by
    the solver's own iterative ``unify``. Nothing is generated per statement."""
    from .clauses import build

    def match(args, trail, unify, barrier, stamp):
        frame = [None] * nvars + [stamp]
        for t, x in zip(head, args):
            if not unify(x, build(t, frame)):
                return None
        return frame

    return match


def _generic_head(head: tuple, nvars: int) -> Callable:
    """The interpreted matcher, for heads too deep to compile to one Python function.

    Variables it makes have stamp 0 (the oldest): their bindings are always trailed."""
    from .clauses import unify_head

    def match(args, trail, unify, barrier, stamp):
        frame = [None] * nvars + [stamp]

        def bind(v, t):
            v.ref = t
            if v.stamp < barrier:
                trail.append(v)

        for t, x in zip(head, args):
            if not unify_head(t, x, frame, unify, bind):
                return None
        return frame

    return match


# ---------------------------------------------------------------------------------------------
# goal arguments

def compile_builder(args: tuple, known: frozenset | set) -> Callable:
    """A function ``build(frame) -> list`` instantiating goal argument templates.

    ``known`` holds the slots certainly set when the goal runs; every other slot is a first
    occurrence and gets a fresh variable (stamped with the frame's stamp).
    """
    if any(_depth(t) > _MAX_DEPTH for t in args):
        return _generic_builder(args, known)
    g = _Gen()
    seen = set(known)
    exprs = [_build_expr(g, a, seen, 1, lambda i: f"f[{i}]", "f[-1]") for a in args]
    g.emit(1, f"return [{', '.join(exprs)}]")
    src = "def build(f):\n" + "\n".join(g.lines) + "\n"
    return _instantiate(src, "build", g.consts)


def _generic_builder(args: tuple, known: frozenset | set) -> Callable:
    """The interpreted builder for deep templates: clears first-occurrence cells, then builds."""
    from .clauses import _slots_of, build
    fresh: set = set()
    _slots_of(args, fresh)
    fresh = tuple(sorted(fresh - set(known)))

    def build_args(f):
        for i in fresh:
            f[i] = None
        return [build(a, f) for a in args]

    return build_args


# ---------------------------------------------------------------------------------------------
# inlined primitives

def _arith(op: str, kinds: str = "int") -> Callable:
    def emit(g: _Gen, xs: list[str], indent: int) -> tuple[str, str]:
        a, b = xs
        return (f"type({a}) is int and type({b}) is int", f"{a} {op} {b}")
    emit.out = True
    return emit


def _mul(g: _Gen, xs: list[str], indent: int) -> tuple[str, str]:
    a, b = xs
    # small operands only: the primitive keeps its own checks for huge products
    return (f"type({a}) is int and type({b}) is int and -{_SMALL} < {a} < {_SMALL} and -{_SMALL} < {b} < {_SMALL}",
            f"{a} * {b}")


_mul.out = True
_SMALL = 2 ** 31


def _divint(op: str) -> Callable:
    def emit(g: _Gen, xs: list[str], indent: int) -> tuple[str, str]:
        a, b = xs
        return (f"type({a}) is int and type({b}) is int and {b} != 0", f"{a} {op} {b}")
    emit.out = True
    return emit


def _minmax(op: str) -> Callable:
    def emit(g: _Gen, xs: list[str], indent: int) -> tuple[str, str]:
        a, b = xs
        return (f"type({a}) is int and type({b}) is int", f"({a} if {a} {op} {b} else {b})")
    emit.out = True
    return emit


def _strlen(g: _Gen, xs: list[str], indent: int) -> tuple[str, str]:
    (a,) = xs
    return (f"type({a}) is str", f"len({a})")


_strlen.out = True


def _compare(op: str) -> Callable:
    def emit(g: _Gen, xs: list[str], indent: int) -> tuple[str, str]:
        a, b = xs
        return (f"type({a}) is int and type({b}) is int", f"{a} {op} {b}")
    emit.out = False
    return emit


def _typetest(test: str) -> Callable:
    def emit(g: _Gen, xs: list[str], indent: int) -> tuple[str, str]:
        (a,) = xs
        return ("True", test.format(a=a))
    emit.out = False
    return emit


#: primitives compiled inline: name -> (arity, emitter). An emitter returns (fast-path
#: condition, expression); ``out`` says whether the expression is the value of the last
#: argument (arithmetic) or a test (comparisons, type tests).
INLINE: dict[str, tuple[int, Callable]] = {
    "sub": (3, _arith("-")),
    "sum": (3, _arith("+")),
    "mul": (3, _mul),
    "mod": (3, _divint("%")),
    "div.int": (3, _divint("//")),
    "min": (3, _minmax("<=")),
    "max": (3, _minmax(">=")),
    "str.len": (2, _strlen),
    "lt": (2, _compare("<")),
    "lte": (2, _compare("<=")),
    "gt": (2, _compare(">")),
    "gte": (2, _compare(">=")),
    "is.int": (1, _typetest("type({a}) is int")),
    "is.num": (1, _typetest("(type({a}) is int or type({a}) is float)")),
    "is.str": (1, _typetest("type({a}) is str")),
    "is.sym": (1, _typetest("(type({a}) is Symbol and {a} is not NIL)")),
    "is.var": (1, _typetest("type({a}) is Var")),
}


def compile_inline(goals: list, known: set) -> Callable:
    """One function ``run(f, m) -> bool`` for a run of inlinable primitive goals (and ``eq``).

    ``known`` holds the slots set before the run; it is updated with the slots the run sets.
    """
    from .clauses import Slot
    g = _Gen()
    g.emit(1, "trail = m.trail")
    g.emit(1, "barrier = m.barrier")

    def slot(i: int) -> str:
        return f"f[{i}]"

    for goal in goals:
        args = goal.args
        fn = g.const(goal.fn)
        loc = g.const(goal.loc)
        if goal.name == "eq":
            _inline_eq(g, args, known, slot)
            continue
        arity, emit = INLINE[goal.name]
        has_out = emit.out
        ins = args[:-1] if has_out else args
        xs = []
        for a in ins:
            if type(a) is Slot and a.i in known:
                x = g.tmp()
                _deref(g, x, slot(a.i), 1)
                xs.append(x)
            elif type(a) in (int, float, str, Symbol):
                xs.append(g.const(a))
            else:
                xs.append(None)
        out = args[-1] if has_out else None
        simple_out = out is None or type(out) is Slot or type(out) in (int, float, str, Symbol)
        if None in xs or not simple_out:
            _inline_slow(g, 1, goal, fn, loc, known, slot)
            continue
        cond, expr = emit(g, xs, 1)
        for a, x in zip(ins, xs):  # a constant's type is known now
            if type(a) is int:
                cond = cond.replace(f"type({x}) is int", "True")
        cond = " and ".join(part for part in cond.split(" and ") if part != "True") or "True"
        if cond == "True" and has_out:
            g.emit(1, "if True:")
            cond = None
        if cond == "True":
            g.emit(1, f"if not ({expr}):")
            g.emit(2, "return False")
            continue
        if cond is not None:
            g.emit(1, f"if {cond}:")
        if not has_out:
            g.emit(2, f"if not ({expr}):")
            g.emit(3, "return False")
        elif type(out) is Slot and out.i not in known:
            g.emit(2, f"{slot(out.i)} = {expr}")
        else:
            r = g.tmp("r")
            g.emit(2, f"{r} = {expr}")
            if type(out) is Slot:
                o = g.tmp()
                _deref(g, o, slot(out.i), 2)
            else:
                o = g.const(out)
            g.emit(2, f"if type({o}) is Var:")
            _bind(g, 3, o, r)
            g.emit(2, f"elif type({o}) is not int or {o} != {r}:")
            g.emit(3, "return False")
        g.emit(1, "else:")
        _inline_slow(g, 2, goal, fn, loc, set(known), slot)
        if type(out) is Slot:
            known.add(out.i)
    g.emit(1, "return True")
    src = "def run(f, m):\n" + "\n".join(g.lines) + "\n"
    return _instantiate(src, "run", g.consts)


def _inline_slow(g: _Gen, indent: int, goal, fn: str, loc: str, known: set, slot) -> None:
    """Call the primitive's checked entry point with built arguments; fail when it fails."""
    exprs = [_build_expr(g, a, known, indent, slot, "f[-1]") for a in goal.args]
    g.emit(indent, f"if not {fn}(m, [{', '.join(exprs)}], {loc}):")
    g.emit(indent + 1, "return False")


def _inline_eq(g: _Gen, args: tuple, known: set, slot) -> None:
    """``eq(a, b)``: a first-occurrence slot on either side is simply set to the other side."""
    from .clauses import Slot
    a, b = args
    if type(a) is Slot and a.i not in known and not (type(b) is Slot and b.i == a.i):
        a, b = b, a
    if type(b) is Slot and b.i not in known:
        value = _build_expr(g, a, known, 1, slot, "f[-1]")
        if b.i in known:  # a mentioned b: plain unification after all
            g.emit(1, f"if not m.unify({value}, {slot(b.i)}):")
            g.emit(2, "return False")
        else:
            g.emit(1, f"{slot(b.i)} = {value}")
            known.add(b.i)
        return
    x = _build_expr(g, a, known, 1, slot, "f[-1]")
    y = _build_expr(g, b, known, 1, slot, "f[-1]")
    g.emit(1, f"if not m.unify({x}, {y}):")
    g.emit(2, "return False")
