"""Compiled knowledge: clause templates and goals, made once at load time.

A clause's variables become numbered *slots*. Calling a clause allocates a frame (a list with
one cell per slot); head unification fills the frame in place, binding a slot straight to the
caller's term on its first occurrence, so matching a head against bound arguments allocates
nothing. Subterms without variables stay ordinary (shared) terms; those with variables become
:class:`TCons` / :class:`TCompound` templates that :func:`build` instantiates against a frame.

Ground facts with truth 1 are kept as plain tuples of terms: the solver unifies them
argument by argument and never builds anything for them.
"""
from __future__ import annotations

from typing import Any, Callable

from .codegen import INLINE, compile_builder, compile_head, compile_inline, data_head
from .errors import CompileError, Location
from .program import Call, Conj, Cut, Disj, IfThen, Not, Prim, Prototype, Query, Statement
from .terms import NIL, Compound, Cons, Symbol, Var, deref, occurs, rebuild, term_depth_safe

__all__ = [
    "Slot", "TCons", "TCompound", "Goal", "Clause", "CompiledQuery", "FREE",
    "OP_CALL", "OP_PRIM", "OP_CUT", "OP_NOT", "OP_TRUE", "OP_FAIL", "OP_ALL", "OP_COUNT", "OP_INLINE",
    "OP_OR", "OP_ITE",
    "build", "unify_head", "compile_entry", "compile_query", "compile_goals", "index_key",
    "is_ground",
]

OP_CALL, OP_PRIM, OP_CUT, OP_NOT, OP_TRUE, OP_FAIL, OP_ALL, OP_COUNT, OP_HUSH = range(9)
# a run of simple primitives compiled to one function (lang.codegen.compile_inline)
OP_INLINE = 10
# control inside a body: ``sub`` = (left, right) goal tuples / (cond, then, else) goal tuples
OP_OR, OP_ITE = 12, 13
# internal operations the solver pushes for itself
OP_NOTFAIL, OP_COLLECT = 20, 21


class Slot:
    """A clause variable: index ``i`` into the frame; ``name`` for answers and errors."""

    __slots__ = ("i", "name")

    def __init__(self, i: int, name: str | None) -> None:
        self.i = i
        self.name = name

    def __repr__(self) -> str:
        return f"Slot({self.i}, {self.name!r})"


class TCons:
    """A list cell template containing slots."""

    __slots__ = ("head", "tail")

    def __init__(self, head: Any, tail: Any) -> None:
        self.head = head
        self.tail = tail


class TCompound:
    """A compound template containing slots."""

    __slots__ = ("name", "args")

    def __init__(self, name: str, args: tuple) -> None:
        self.name = name
        self.args = args


class Goal:
    """One compiled goal. ``op`` selects what the solver does; the other fields depend on it.

    CALL: ``name`` = label, ``args`` = templates.  PRIM: ``fn`` = the primitive's checked
    entry point, ``args`` = templates.  NOT: ``sub`` = goals.  ALL/COUNT: ``sub`` = goals,
    ``args`` = (template, result) or (result,).  INLINE: ``sub`` = the PRIM goals it runs,
    ``fn`` = their generated code ``run(frame, machine) -> bool``.  OR: ``sub`` = (left goals,
    right goals).  ITE: ``sub`` = (condition goals, then goals, else goals).
    """

    __slots__ = ("op", "name", "args", "fn", "sub", "loc", "source", "known", "build",
                 "site_kb", "site_gen", "site")

    def __init__(self, op: int, name: str = "", args: tuple = (), fn: Callable | None = None,
                 sub: tuple = (), loc: Location | None = None, source: Any = None,
                 known: frozenset | None = None, generate: bool = True) -> None:
        self.op = op
        self.name = name
        self.args = args
        self.fn = fn
        self.sub = sub
        self.loc = loc
        self.source = source
        self.known = known
        # a CALL's route, cached by the solver: valid while ``site_kb.generation == site_gen``
        self.site_kb = None
        self.site_gen = -1
        self.site = None
        if op == OP_INLINE:
            self.build = None
            if fn is None:
                self.fn = compile_inline(list(sub), set(known or ()))
        elif op not in (OP_CALL, OP_PRIM):
            self.build = None
        elif generate:
            self.build = compile_builder(args, known or frozenset())
        else:  # run once (a query): generating code would cost more than it saves
            self.build = _query_builder(args)

    def __repr__(self) -> str:
        return f"Goal({self.op}, {self.name!r})"

    def __reduce__(self):  # ``fn`` and ``build`` are code: make them again after unpickling
        return (_rebuild_goal, (self.op, self.name, self.args, self.sub, self.loc, self.source, self.known))


def _rebuild_goal(op, name, args, sub, loc, source, known) -> "Goal":
    fn = None  # an INLINE goal's code is generated again from ``sub``
    if op == OP_PRIM:
        from .primitives import REGISTRY
        fn = REGISTRY[name].call
    return Goal(op, name, args, fn, sub, loc, source, known)


class Clause:
    """A compiled statement or prototype.

    ``head`` is a tuple of templates, ``body`` a tuple of goals (empty for a fact), ``nvars``
    the frame size, ``commit`` the caret, ``truth`` the statement's truth value and ``source``
    the parsed entry (for printing and saving).
    """

    __slots__ = ("head", "body", "nvars", "commit", "truth", "source", "key0", "data", "match")

    def __init__(self, head: tuple, body: tuple, nvars: int, commit: bool, truth: float,
                 source: Any, key0: Any, data: bool = False) -> None:
        self.head = head
        self.body = body
        self.nvars = nvars
        self.commit = commit
        self.truth = truth
        self.source = source
        self.key0 = key0
        self.data = data
        # match(args, trail, unify, barrier, stamp) -> frame | None  (lang.codegen): generated
        # code for clauses of rule definitions, where speed per call counts; facts kept as data
        # (300k facts with variables are loaded, not compiled one function each) unify
        self.match = data_head(head, nvars) if data else compile_head(head, nvars)

    def __reduce__(self):  # ``match`` is generated code: generate it again after unpickling
        return (Clause, (self.head, self.body, self.nvars, self.commit, self.truth, self.source, self.key0,
                         self.data))

    def __repr__(self) -> str:
        from .printer import show_entry
        return f"Clause({show_entry(self.source)})"


class CompiledQuery:
    """A compiled console query: goals, frame size and the named variables' slots."""

    __slots__ = ("goals", "nvars", "names", "text", "lookup")

    def __init__(self, goals: tuple, nvars: int, names: dict[str, int], text: str) -> None:
        self.goals = goals
        self.nvars = nvars
        self.names = names
        self.text = text
        self.lookup = _lookup_plan(goals, names)


# unbound variables a lookup's route is asked with in the variables' places (lang.solver), one
# per argument position so that no two positions share one; read by routes, never bound
FREE: list[Var] = []


def _lookup_plan(goals: tuple, names: dict[str, int]) -> tuple | None:
    """For a query that is one call whose arguments are ground terms or variables (a lookup),
    how a ground statement answers it without binding anything: ``(consts, repeats, picks,
    probe)``: the (position, term) pairs the statement must equal, the (position, earlier
    position) pairs of a variable met again, the (name, position) of each named variable's
    value, and the arguments to ask the route with (:data:`FREE` variables in the variables'
    places).
    None for any other query."""
    if len(goals) != 1 or goals[0].op != OP_CALL:
        return None
    consts, repeats, first = [], [], {}
    probe = []
    for pos, a in enumerate(goals[0].args):
        if type(a) is Slot:
            if a.i in first:
                repeats.append((pos, first[a.i]))
            else:
                first[a.i] = pos
            while len(FREE) <= pos:
                FREE.append(Var("_"))
            probe.append(FREE[pos])
        elif type(a) is TCons or type(a) is TCompound:
            return None
        else:
            consts.append((pos, a))
            probe.append(a)
    picks = tuple((name, first[i]) for name, i in names.items())
    return tuple(consts), tuple(repeats), picks, probe


# ---------------------------------------------------------------------------------------
# instantiation and head unification (hot paths)

def _query_builder(args: tuple) -> Callable[[list], list]:
    """A query goal's argument builder, without generated code: when every argument is a
    variable or a constant (a lookup), only the variables' positions are filled in."""
    if any(type(a) is TCons or type(a) is TCompound for a in args):
        return lambda f: [build(a, f) for a in args]
    base = list(args)
    slots = tuple((i, a.i, a.name) for i, a in enumerate(args) if type(a) is Slot)

    def flat(f: list) -> list:
        out = base[:]
        for i, j, name in slots:
            v = f[j]
            if v is None:
                v = f[j] = Var(name)
            out[i] = v
        return out
    return flat


def build(t: Any, frame: list) -> Any:
    """Instantiate template ``t`` against ``frame``, creating variables for unset slots."""
    tt = type(t)
    if tt is Slot:
        v = frame[t.i]
        if v is None:
            v = frame[t.i] = Var(t.name)
        return v
    if tt is TCons:
        # walk the spine iteratively: source lists can be long
        first = cell = Cons(build(t.head, frame), None)
        t = t.tail
        while type(t) is TCons:
            nxt = Cons(build(t.head, frame), None)
            cell.tail = nxt
            cell = nxt
            t = t.tail
        cell.tail = build(t, frame)
        return first
    if tt is TCompound:
        return Compound(t.name, tuple([build(a, frame) for a in t.args]))
    return t


def unify_head(t: Any, x: Any, frame: list, unify: Callable, bind: Callable) -> bool:
    """Unify template ``t`` with term ``x``, filling ``frame``; bindings go through ``bind``."""
    tt = type(t)
    if tt is Slot:
        v = frame[t.i]
        if v is None:
            frame[t.i] = x
            return True
        return unify(v, x)
    while type(x) is Var:
        r = x.ref
        if r is None:
            built = build(t, frame)
            if type(built) in (Cons, Compound) and occurs(x, built):
                return False
            bind(x, built)
            return True
        x = r
    if tt is TCons:
        if type(x) is not Cons:
            return False
        return unify_head(t.head, x.head, frame, unify, bind) and unify_head(t.tail, x.tail, frame, unify, bind)
    if tt is TCompound:
        if type(x) is not Compound or x.name != t.name or len(x.args) != len(t.args):
            return False
        for a, b in zip(t.args, x.args):
            if not unify_head(a, b, frame, unify, bind):
                return False
        return True
    if t is x:
        return True
    tx = type(x)
    if tx is not tt:
        return False
    if tt is Cons or tt is Compound:
        return unify(t, x)
    return t == x and tt is not Symbol and not (tt is float and t == 0.0 and str(t) != str(x))


def index_key(x: Any) -> Any:
    """The first-argument / index key of a dereferenced term, or None for a variable.

    Keys keep ``1`` and ``1.0`` apart and give lists and compounds their functor.
    """
    tx = type(x)
    if tx is int or tx is str or tx is Symbol:
        return x
    if tx is float:
        return (float, x)
    if tx is Cons:
        return _CONS_KEY
    if tx is Compound:
        return (x.name, len(x.args))
    return None


_CONS_KEY = ("[|]", 2)


def _template_key(t: Any) -> Any:
    tt = type(t)
    if tt is Slot:
        return None
    if tt is TCons:
        return _CONS_KEY
    if tt is TCompound:
        return (t.name, len(t.args))
    return index_key(t)


def is_ground(t: Any) -> bool:
    """True when term ``t`` contains no unbound variable (iterative)."""
    stack = [t]
    while stack:
        x = deref(stack.pop())
        tx = type(x)
        if tx is Var:
            return False
        if tx is Cons:
            stack.append(x.head)
            stack.append(x.tail)
        elif tx is Compound:
            stack.extend(x.args)
    return True


# ---------------------------------------------------------------------------------------
# compilation

class _Scope:
    """Maps variable names of one entry (or query) to slots; ``_`` is always a fresh slot."""

    __slots__ = ("slots", "count", "by_identity", "generate")

    def __init__(self, by_identity: bool = False, generate: bool = True) -> None:
        self.slots: dict[str, Slot] = {}
        self.count = 0
        self.by_identity = by_identity
        self.generate = generate

    def slot(self, name: str | None) -> Slot:
        if name is None:
            s = Slot(self.count, None)
            self.count += 1
            return s
        s = self.slots.get(name)
        if s is None:
            s = self.slots[name] = Slot(self.count, name)
            self.count += 1
        return s


def _template(t: Any, scope: _Scope, vars_by_id: dict) -> Any:
    """Turn a parsed term (with Vars) into a template (with Slots); iterative."""
    def leaf(x: Any) -> Any:
        tx = type(x)
        if tx is Var:
            if x.name is None or scope.by_identity:
                # parser wildcards are distinct Var objects; runtime vars (assert) share by identity
                s = vars_by_id.get(id(x))
                if s is None:
                    s = vars_by_id[id(x)] = scope.slot(None)
                    s.name = x.name  # kept for printing; identity decides sharing
                return s
            return scope.slot(x.name)
        if tx in _GOAL_TYPES:
            raise CompileError("a goal (#label, ~, !, or a parenthesized conjunction) cannot be part of "
                               "a term; only meta-primitives such as all/count take goal arguments",
                               getattr(x, "loc", None))
        return x

    return rebuild(t, leaf, _list_template, _compound_template)


def _list_template(items: list, tail: Any) -> Any:
    cell = Cons if not _has_slot(tail) and not any(_has_slot(i) for i in items) else TCons
    out = tail
    for item in reversed(items):
        out = cell(item, out)
    return out


def _compound_template(name: str, args: tuple) -> Any:
    if any(_has_slot(a) for a in args):
        return TCompound(name, args)
    return Compound(name, args)


_GOAL_TYPES = (Call, Prim, Cut, Not, Conj, Disj)


def _has_slot(t: Any) -> bool:
    tt = type(t)
    return tt is Slot or tt is TCons or tt is TCompound


def compile_entry(entry: Statement | Prototype, registry: dict, runtime: bool = False,
                  data: bool = False) -> Clause | tuple:
    """Compile one entry: a ground fact with truth 1 becomes a plain tuple.

    Parsed entries share variables by name; ``runtime`` entries (built by assert) by identity.
    With ``data`` (statements of fact elementals and stores), a statement with variables is
    matched by unification rather than by a generated function.
    """
    scope = _Scope(runtime)
    ids: dict = {}
    head = tuple(_template(a, scope, ids) for a in (entry.args if type(entry) is Statement else entry.head))
    if type(entry) is Statement:
        if scope.count == 0 and entry.truth == 1.0 and not entry.commit:
            return head
        return Clause(head, (), scope.count, entry.commit, entry.truth, entry,
                      _template_key(head[0]) if head else None, data)
    known = set(range(scope.count))
    body = compile_goals(entry.body, scope, ids, registry, known)
    return Clause(head, body, scope.count, entry.commit, 1.0, entry,
                  _template_key(head[0]) if head else None)


def compile_query(query: Query, registry: dict) -> CompiledQuery:
    """Compile a console query; named variables keep their slots for the answers."""
    scope = _Scope(generate=False)
    goals = compile_goals(query.goals, scope, {}, registry, set())
    names = {name: s.i for name, s in scope.slots.items() if not name.startswith("_")}
    return CompiledQuery(goals, scope.count, names, query.text)


def compile_goals(goals, scope: _Scope, ids: dict, registry: dict, known: set) -> tuple:
    """Compile a conjunction, flattening nested parenthesized conjunctions.

    ``known`` holds the slots certainly set when the next goal runs; it grows as goals are
    compiled (a goal's argument builder sets every slot it mentions).
    """
    out: list[Goal] = []
    for g in goals:
        _compile_goal(g, scope, ids, registry, out, known)
    if scope.generate and _standard(registry):
        out = _inline_runs(out)
    return tuple(out)


def _standard(registry: dict) -> bool:
    """Inlined primitives are the standard ones: only inline against the standard registry."""
    from .primitives.registry import REGISTRY
    return registry is REGISTRY


def _inlinable(g: Goal) -> bool:
    if g.op != OP_PRIM:
        return False
    if g.name == "eq":
        return True
    spec = INLINE.get(g.name)
    return spec is not None and spec[0] == len(g.args)


def _inline_runs(goals: list) -> list:
    """Replace each run of consecutive simple primitives by one INLINE goal (compiled code)."""
    out: list = []
    run: list = []
    for g in goals + [None]:
        if g is not None and _inlinable(g):
            run.append(g)
            continue
        if run:
            out.append(Goal(OP_INLINE, run[0].name, sub=tuple(run), loc=run[0].loc,
                            source=run[0].source, known=run[0].known))
            run = []
        if g is not None:
            out.append(g)
    return out


def _slots_of(templates, into: set) -> None:
    stack = list(templates)
    while stack:
        t = stack.pop()
        tt = type(t)
        if tt is Slot:
            into.add(t.i)
        elif tt is TCons:
            stack.append(t.head)
            stack.append(t.tail)
        elif tt is TCompound:
            stack.extend(t.args)


def _compile_goal(g, scope, ids, registry, out: list, known: set) -> None:
    tg = type(g)
    if tg is Call:
        args = tuple(_template(a, scope, ids) for a in g.args)
        out.append(Goal(OP_CALL, g.label, args, loc=g.loc, source=g, known=frozenset(known),
                        generate=scope.generate))
        _slots_of(args, known)
    elif tg is Cut:
        out.append(Goal(OP_CUT, "!", loc=g.loc, source=g))
    elif tg is Not:
        # slots first set inside a negation may stay unset: do not add them to ``known``
        out.append(Goal(OP_NOT, "~", sub=compile_goals((g.goal,), scope, ids, registry, set(known)),
                        loc=g.loc, source=g))
    elif tg is Conj:
        for sub in g.goals:
            _compile_goal(sub, scope, ids, registry, out, known)
    elif tg is Disj:
        # a variable first mentioned inside the branches gets its variable before them, so
        # that every branch (and what follows) binds that one variable: a branch undone by
        # backtracking then leaves nothing behind in the frame
        fresh = [sl for sl in _named_slots(g, scope) if sl.i not in known]
        if fresh:
            out.append(Goal(OP_PRIM, "fresh", tuple(fresh), fn=_succeed, loc=g.loc, source=g,
                            known=frozenset(known), generate=scope.generate))
            known.update(sl.i for sl in fresh)
        out.extend(_compile_branches(g.branches, scope, ids, registry, known, g.loc))
    elif tg is Prim:
        goal = _compile_prim(g, scope, ids, registry, known)
        out.append(goal)
        if goal.op == OP_PRIM:
            _slots_of(goal.args, known)
    else:
        raise CompileError(f"not a goal: {g!r}", getattr(g, "loc", None))


def _succeed(m, args, loc) -> bool:
    return True


def _named_slots(goal, scope: _Scope) -> list:
    """The slots of the named variables mentioned anywhere in a parsed goal (in order)."""
    found: dict = {}
    stack = [goal]
    while stack:
        x = stack.pop()
        tx = type(x)
        if tx is Call or tx is Prim:
            stack.extend(x.args)
        elif tx is Not:
            stack.append(x.goal)
        elif tx is Conj:
            stack.extend(x.goals)
        elif tx is Disj:
            for b in x.branches:
                stack.extend(b if type(b) is tuple else b.cond + b.then)
        elif tx is Cut:
            continue
        else:
            for t in term_depth_safe(x):
                if type(t) is Var and t.name is not None and not scope.by_identity:
                    sl = scope.slot(t.name)
                    found[sl.i] = sl
    return [found[i] for i in sorted(found)]


def _compile_branches(branches: tuple, scope, ids, registry, known: set, loc) -> tuple:
    """Compile ``(b1 | ... | bn)`` into nested binary OR / ITE goals, folding from the right.

    Every named variable of the branches is set before them (see _compile_goal), so each
    branch compiles against the same ``known`` slots.
    """
    first, rest = branches[0], branches[1:]
    if type(first) is IfThen:
        inner = set(known)
        cond = compile_goals(first.cond, scope, ids, registry, inner)
        then = compile_goals(first.then, scope, ids, registry, inner)
        other = _compile_branches(rest, scope, ids, registry, known, loc) if rest else (_FAIL_GOAL,)
        return (Goal(OP_ITE, "->", sub=(cond, then, other), loc=first.loc or loc, source=first),)
    left = compile_goals(first, scope, ids, registry, set(known))
    if not rest:
        return left
    right = _compile_branches(rest, scope, ids, registry, known, loc)
    return (Goal(OP_OR, "|", sub=(left, right), loc=loc),)


_FAIL_GOAL = Goal(OP_FAIL, "false")


def _as_goal(arg, loc):
    """Read a term written as a goal argument (``all(:x, lst.member(:x, :l), :r)``) as a goal."""
    if type(arg) in _GOAL_TYPES:
        return arg
    arg = deref(arg)
    if type(arg) is Compound:
        return Prim(arg.name, arg.args, loc)
    if type(arg) is Symbol and arg is not NIL:
        return Prim(arg.name, (), loc)
    raise CompileError(f"expected a goal, found {arg!r}", loc)


def _compile_prim(g: Prim, scope, ids, registry, known: set) -> Goal:
    spec = registry.get(g.name)
    if spec is None:
        raise CompileError(f"unknown primitive {g.name}/{len(g.args)}"
                           + _suggest(g.name, registry), g.loc)
    spec.check_arity(len(g.args), g.loc)
    if spec.op is not None:  # control primitives the solver runs itself
        op = spec.op
        if op in (OP_TRUE, OP_FAIL, OP_HUSH):
            return Goal(op, g.name, loc=g.loc, source=g)
        # the result is built before the goal runs: its slots are known inside the goal and after
        if op == OP_ALL:
            tmpl, goal, result = g.args
            result_t = _template(result, scope, ids)
            _slots_of((result_t,), known)
            tmpl_t = _template(tmpl, scope, ids)
            sub = compile_goals((_as_goal(goal, g.loc),), scope, ids, registry, set(known))
            return Goal(OP_ALL, g.name, (tmpl_t, result_t), sub=sub, loc=g.loc, source=g)
        if op == OP_COUNT:
            goal, result = g.args
            result_t = _template(result, scope, ids)
            _slots_of((result_t,), known)
            sub = compile_goals((_as_goal(goal, g.loc),), scope, ids, registry, set(known))
            return Goal(OP_COUNT, g.name, (result_t,), sub=sub, loc=g.loc, source=g)
    args = []
    for i, a in enumerate(g.args):
        if type(a) in _GOAL_TYPES:
            raise CompileError(f"{g.name}: argument {i + 1} is a goal; a term was expected", g.loc)
        args.append(_template(a, scope, ids))
    return Goal(OP_PRIM, g.name, tuple(args), fn=spec.call, loc=g.loc, source=g, known=frozenset(known),
                generate=scope.generate)


def _suggest(name: str, registry: dict) -> str:
    import difflib
    close = difflib.get_close_matches(name, list(registry), n=1)
    if close:
        return f" (did you mean {close[0]}?)"
    return " (a call to knowledge needs '#': #" + name + ")"
