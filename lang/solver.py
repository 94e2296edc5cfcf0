"""The solver: depth-first resolution with backtracking, cut, negation and truth values.

It is a loop over explicit stacks, never Python recursion per inference, so a proof a
million calls deep needs memory, not stack:

* the *continuation* is a linked chain of tuples ``(goals, pc, frame, cut_barrier, next)``:
  the goals still to run, where to resume, the clause frame they read, the choicepoint height
  a ``!`` cuts back to, and what follows. A clause's last goal passes ``next`` on unchanged,
  so tail calls do not grow the chain;
* *choicepoints* are a list of lists, each saving the trail height, the truth value and what
  to try next (remaining alternatives, a primitive's iterator, a continuation to resume);
* the *trail* records every binding made while a choicepoint exists, and backtracking
  unbinds down to the choicepoint's mark.

The solver knows knowledge only through ``kb.ask(label, args)``: an iterable of
alternatives, each a tuple of ground arguments (a plain fact) or a :class:`~lang.clauses.Clause`;
``None`` when nothing holds ``label/arity``.
"""
from __future__ import annotations

import itertools
import time
from math import copysign
from typing import Any, Iterator, Protocol

from .clauses import (
    FREE, OP_ALL, OP_CALL, OP_COLLECT, OP_COUNT, OP_CUT, OP_FAIL, OP_HUSH, OP_INLINE, OP_ITE, OP_NOT,
    OP_NOTFAIL, OP_OR, OP_PRIM, OP_TRUE, CompiledQuery, Goal, build,
)
from .errors import EvaluationError, SeltzerError
from .terms import Compound, Cons, Symbol, Var, forget_ground, make_list, occurs, rebuild, resolve

__all__ = ["Knowledge", "Machine", "TimeUp", "copy_term"]


class Knowledge(Protocol):
    """What the solver and the knowledge primitives need from a knowledge base."""

    def ask(self, label: str, args: list) -> Any:
        """Alternatives for ``#label(args)`` in stable order, or None if no one holds label/arity."""

    # Optional, for speed: ``asker(label, arity)`` returns the function ``args -> alternatives``
    # (or None) that ``ask`` would use, valid while the attribute ``generation`` is unchanged;
    # the solver caches it per call site.

    def assert_statement(self, label: str, args: tuple) -> None: ...
    def retract_statement(self, label: str, args: tuple) -> tuple | None: ...
    def bundle_statement(self, label: str, args: tuple, n: int) -> None: ...
    def declare_statement(self, label: str, args: tuple) -> None: ...
    def elemental_ids(self, label: str) -> list: ...
    def emit(self, text: str) -> None: ...
    def exec_line(self, line: str) -> bool: ...


class TimeUp(Exception):
    """Raised inside the solver when a query's time to live runs out."""


# choicepoint kinds: a list of alternatives (index of the next one), an iterator of them, a
# primitive's generator, a continuation to resume (negation), a bag of all/count
_ALTS, _ITER, _GEN, _RESUME, _BAG = range(5)
_EMPTY = ()
_CHECK_EVERY = 2048
# the barrier while a mark() is open: every binding is trailed
_ALL = 1 << 62
# choicepoint stamps: one clock for every machine, so variables made by one machine compare
# soundly with the choicepoints of another (a var can reach a trigger's machine)
_clock = itertools.count(1)


# the commit of an if-then-else: a cut whose barrier (the continuation's) is the else choicepoint
_COMMIT = (Goal(OP_CUT, "->"),)


def _signs_differ(a: float, b: float) -> bool:
    """For two equal floats: True only for 0.0 and -0.0, which do not unify (as in SWI-Prolog)."""
    return a == 0.0 and copysign(1.0, a) != copysign(1.0, b)


def _no_route(args: list) -> None:
    """The route of a label no elemental holds."""
    return None


def _answer(names: dict[str, int], frame: list) -> dict[str, Any]:
    """The named bindings of a solution (unbound ones as fresh named variables)."""
    answer = {}
    for name, i in names.items():
        v = frame[i]
        answer[name] = resolve(v) if v is not None else Var(name)
    return answer


def copy_term(t: Any) -> Any:
    """A copy of ``t`` with bound variables replaced and unbound ones renamed apart (iterative)."""
    mapping: dict[int, Var] = {}

    def leaf(x: Any) -> Any:
        if type(x) is Var:
            v = mapping.get(id(x))
            if v is None:
                v = mapping[id(x)] = Var(x.name)
            return v
        return x

    return rebuild(t, leaf)


class Machine:
    """One solving engine: the trail, counters, time to live and the knowledge it asks.

    A machine runs one query at a time (:meth:`solve`); triggers and nested console lines
    use machines of their own.

    Conditional trailing: ``barrier`` is the stamp of the newest choicepoint (0 when there is
    none; everything while a :meth:`mark` is open). A binding is recorded on the trail only
    when the variable's stamp is below it, i.e. when the variable is older than the newest
    choicepoint, since only those bindings must be undone when backtracking. With no
    choicepoint the trail is emptied: memory follows live data, not the number of inferences.
    """

    def __init__(self, kb: Knowledge, ttl: float | None = 60.0) -> None:
        self.kb = kb
        self.ttl = ttl
        self.trail: list[Var] = []
        self.barrier = 0
        self.clock = 0
        self.inferences = 0
        self.hushed = False
        self.partial = False
        self.unknown: set[tuple[str, int]] = set()

    # -- bindings --------------------------------------------------------------------------
    def bind(self, v: Var, t: Any) -> None:
        """Bind variable ``v`` to ``t``, recording it on the trail when a choicepoint may undo it."""
        v.ref = t
        if v.stamp < self.barrier:
            self.trail.append(v)

    def mark(self) -> int:
        """The current trail height, to undo back to with :meth:`undo`.

        Until the solver next runs, every binding is trailed, so :meth:`undo` undoes all
        bindings made since the mark."""
        self.barrier = _ALL
        return len(self.trail)

    def undo(self, mark: int) -> None:
        """Unbind every variable bound since ``mark``."""
        trail = self.trail
        if len(trail) > mark:  # undo: unbind what was recorded since the mark
            for v in trail[mark:]:
                v.ref = None
            del trail[mark:]

    def match(self, clause: Any, args: list) -> list | None:
        """Unify a clause's head with ``args`` (bindings follow the trailing rule); its frame or None."""
        return clause.match(args, self.trail, self.unify, self.barrier, self.clock)

    def unify(self, a: Any, b: Any) -> bool:
        """Unify two terms, binding variables in place (iterative, with the occurs check).

        A compound's arguments are matched in a loop of their own: variables and atoms
        there are settled at once, only nested structures go on the stack."""
        trail = self.trail
        barrier = self.barrier
        stack = None
        while True:
            while type(a) is Var:
                r = a.ref
                if r is None:
                    break
                a = r
            while type(b) is Var:
                r = b.ref
                if r is None:
                    break
                b = r
            if a is not b:
                ta = type(a)
                tb = type(b)
                if ta is Var:
                    if tb is Var:
                        if b.stamp > a.stamp:
                            a, b = b, a  # bind the younger variable: fewer bindings to trail
                    elif (tb is Cons or tb is Compound) and occurs(a, b):
                        return False  # the occurs check: no cyclic terms
                    a.ref = b
                    if a.stamp < barrier:
                        trail.append(a)
                elif tb is Var:
                    if (ta is Cons or ta is Compound) and occurs(b, a):
                        return False
                    b.ref = a
                    if b.stamp < barrier:
                        trail.append(b)
                elif ta is Cons:
                    if tb is not Cons:
                        return False
                    if stack is None:
                        stack = []
                    stack.append((a.tail, b.tail))
                    a = a.head
                    b = b.head
                    continue
                elif ta is Compound:
                    if tb is not Compound or a.name != b.name:
                        return False
                    xs = a.args
                    ys = b.args
                    if len(xs) != len(ys):
                        return False
                    for x, y in zip(xs, ys):
                        while type(x) is Var:
                            r = x.ref
                            if r is None:
                                break
                            x = r
                        while type(y) is Var:
                            r = y.ref
                            if r is None:
                                break
                            y = r
                        if x is y:
                            continue
                        tx = type(x)
                        ty = type(y)
                        if tx is Var:
                            if ty is Var:
                                if y.stamp > x.stamp:
                                    x, y = y, x
                            elif (ty is Cons or ty is Compound) and occurs(x, y):
                                return False
                            x.ref = y
                            if x.stamp < barrier:
                                trail.append(x)
                        elif ty is Var:
                            if (tx is Cons or tx is Compound) and occurs(y, x):
                                return False
                            y.ref = x
                            if y.stamp < barrier:
                                trail.append(y)
                        elif tx is Cons or tx is Compound:
                            if stack is None:
                                stack = []
                            stack.append((x, y))
                        elif tx is not ty or tx is Symbol or x != y or (tx is float and _signs_differ(x, y)):
                            return False
                elif ta is not tb or ta is Symbol or a != b or (ta is float and _signs_differ(a, b)):
                    return False
            if not stack:
                return True
            a, b = stack.pop()

    def unifiable(self, a: Any, b: Any) -> bool:
        """True when ``a`` and ``b`` unify; leaves no bindings behind."""
        mark = self.mark()
        ok = self.unify(a, b)
        self.undo(mark)
        return ok

    # -- solving ---------------------------------------------------------------------------
    def run(self, query: CompiledQuery) -> Iterator[tuple[dict[str, Any], float]]:
        """Solve a compiled query, yielding (named bindings, truth) per solution, lazily.

        A query that is one call answered by a short list of plain facts (an indexed lookup,
        the most common query from Python) is matched here directly, without the solver's
        loop and its choicepoints; anything else, or the rest of the list from its first
        clause on, goes through :meth:`solve`."""
        frame: list = [None] * query.nvars + [0]
        names = query.names
        goals = query.goals
        solutions: Any = None
        plan = query.lookup
        if plan is not None:
            consts, repeats, picks, probe = plan
            g = goals[0]
            # the route is asked with the query's constants and distinct unbound variables in
            # the variables' places (it only reads them: a repeated variable just asks for
            # more); no frame variable is made unless the answers need the solver
            alts = self._site(g, probe[:])
            for v in FREE:
                if v.ref is not None:
                    for v in FREE:
                        v.ref = None
                    raise EvaluationError(f"internal: the route of {g.name} bound a goal's argument", g.loc)
            if alts is None:
                self.unknown.add((g.name, len(probe)))
                return
            if type(alts) is not list:
                solutions = self.solve(_EMPTY, frame, (g.build(frame), alts))
            else:
                self.inferences += 1
                same = self._same_ground
                i = 0
                for alt in alts:
                    if type(alt) is not tuple:
                        solutions = self.solve(_EMPTY, frame, (g.build(frame), alts[i:]))
                        break
                    i += 1
                    for pos, c in consts:
                        if not same(c, alt[pos]):
                            break
                    else:
                        for pos, at in repeats:
                            if not same(alt[at], alt[pos]):
                                break
                        else:
                            yield {name: alt[pos] for name, pos in picks}, 1.0
                if solutions is None:
                    return
        else:
            solutions = self.solve(goals, frame)
        for truth in solutions:
            yield _answer(names, frame), truth

    def _same_ground(self, a: Any, b: Any) -> bool:
        """Whether two ground terms unify (are equal as terms): ``1`` is not ``1.0``, a symbol
        not a string, ``0.0`` not ``-0.0``."""
        if a is b:
            return True
        ta = type(a)
        if ta is not type(b) or ta is Symbol:
            return False
        if ta is int or ta is str:
            return a == b
        if ta is float:
            return a == b and not _signs_differ(a, b)
        ok = self.unifiable(a, b)
        forget_ground()
        return ok

    def _site(self, g: Goal, args: list) -> Any:
        """The alternatives of call ``g``, through its cached route (see :meth:`solve`)."""
        kb = self.kb
        if g.site_kb is kb and g.site_gen == kb.generation:
            return g.site(args)
        if hasattr(kb, "asker") and hasattr(kb, "generation"):
            g.site_gen = kb.generation
            g.site = kb.asker(g.name, len(args)) or _no_route
            g.site_kb = kb
            return g.site(args)
        return kb.ask(g.name, args)

    def solve(self, goals: tuple, frame: list, first: Any = None) -> Iterator[float]:
        """Run ``goals`` against ``frame``; yield the truth value of each solution.

        The frame's slots hold the bindings while a solution is current. ``first``, if
        given, is an (args, alternatives) pair tried as if it were a call (used for triggers).
        """
        trail = self.trail
        unify = self.unify
        kb = self.kb
        ask = kb.ask
        routed = hasattr(kb, "asker") and hasattr(kb, "generation")  # call sites cache routes
        tick = _clock.__next__
        cps: list = []
        truth = 1.0
        steps = 0
        deadline = (time.monotonic() + self.ttl) if self.ttl else None
        FAIL = _EMPTY
        clock = self.clock      # stamp of frames made now: the clock at this machine's newest push
        barrier = self.barrier = 0
        self.clock = clock

        cont: Any = (goals, 0, frame, 0, None) if goals else None
        # state for trying alternatives (shared by calls and backtracking into them)
        alt = args = rest = nxt = None
        alts: Any = None
        cp_: list | None = None
        i = 0
        cutb = 0
        trying = False
        if first is not None:
            args, alts = first
            alts = list(alts)
            i = 0
            rest = cont
            trying = True
            cont = FAIL

        try:
            while True:
                if trying:
                    # try the alternatives alts[i:] (a list) or ``alt`` then the rest of ``alts``
                    # (an iterator) against ``args``. ``cp_`` is this call's choicepoint: pushed
                    # while another alternative remains, updated in place, dropped before the last
                    trying = False
                    cont = FAIL
                    mark = cp_[1] if cp_ is not None else len(trail)
                    is_list = type(alts) is list
                    n = len(alts) if is_list else 0
                    while True:
                        if is_list:
                            if i >= n:
                                break
                            alt = alts[i]
                            i += 1
                            more = i < n
                        else:
                            if alt is None:
                                break
                            nxt = next(alts, None)
                            more = nxt is not None
                        if more:
                            if cp_ is None:
                                clock = self.clock = tick()
                                barrier = self.barrier = clock
                                cp_ = [_ALTS if is_list else _ITER, mark, truth, clock,
                                       alts, i if is_list else nxt, args, rest, cutb]
                                cps.append(cp_)
                            else:
                                cp_[5] = i if is_list else nxt
                        elif cp_ is not None:
                            cps.pop()  # the last alternative leaves no choicepoint
                            cp_ = None
                            barrier = self.barrier = cps[-1][3] if cps else 0
                        if type(alt) is tuple:
                            ok = True
                            for x, y in zip(args, alt):
                                while type(x) is Var:
                                    r = x.ref
                                    if r is None:
                                        break
                                    x = r
                                if x is y:
                                    continue
                                if type(x) is Var:
                                    x.ref = y
                                    if x.stamp < barrier:
                                        trail.append(x)
                                    continue
                                tx = type(x)
                                if tx is not type(y):
                                    ok = False
                                    break
                                if tx is Cons or tx is Compound:
                                    if not unify(x, y):
                                        ok = False
                                        break
                                elif tx is Symbol or x != y or (tx is float and _signs_differ(x, y)):
                                    ok = False
                                    break
                            if ok:
                                cont = rest
                                break
                        else:
                            fr = alt.match(args, trail, unify, barrier, clock)
                            if fr is not None:
                                if alt.truth < truth:
                                    truth = alt.truth
                                if alt.commit and cp_ is not None:
                                    del cps[cutb:]
                                    barrier = self.barrier = cps[-1][3] if cps else 0
                                body = alt.body
                                if body:
                                    cont = (body, 0, fr, cutb, rest)
                                else:
                                    cont = rest
                                break
                        # this alternative failed: undo its bindings
                        if len(trail) > mark:  # undo: unbind what was recorded since the mark
                            for v in trail[mark:]:
                                v.ref = None
                            del trail[mark:]
                        if not is_list:
                            alt = nxt
                    cp_ = None
                    if not cps and trail:
                        trail.clear()

                if cont is FAIL:
                    # backtrack to the newest choicepoint
                    while True:
                        if not cps:
                            return
                        cp = cps[-1]
                        mark = cp[1]
                        if len(trail) > mark:  # undo: unbind what was recorded since the mark
                            for v in trail[mark:]:
                                v.ref = None
                            del trail[mark:]
                        truth = cp[2]
                        barrier = self.barrier = cp[3]
                        kind = cp[0]
                        if kind == _ALTS or kind == _ITER:
                            # the call's next alternatives, its choicepoint still in place
                            _, _, _, _, alts, nxt, args, rest, cutb = cp
                            if kind == _ALTS:
                                i = nxt
                            else:
                                alt = nxt
                            cp_ = cp
                            trying = True
                            break
                        if kind == _GEN:
                            gen = cp[4]
                            try:
                                got = next(gen, None)
                            except SeltzerError:
                                cps.pop()
                                raise
                            self.barrier = barrier
                            if got is None:
                                cps.pop()
                                continue
                            cont = cp[5]
                            break
                        cps.pop()
                        barrier = self.barrier = cps[-1][3] if cps else 0
                        if kind == _RESUME:
                            cont = cp[4]
                            break
                        # _BAG: the goal of all/count has no more solutions
                        _, _, _, _, bag, result, rest_, is_count = cp
                        value = len(bag) if is_count else make_list(bag)
                        if unify(result, value):
                            cont = rest_
                            break
                        if len(trail) > mark:  # undo: unbind what was recorded since the mark
                            for v in trail[mark:]:
                                v.ref = None
                            del trail[mark:]
                    if trying:
                        continue

                if cont is None:
                    self.clock = clock
                    yield truth
                    cont = FAIL
                    continue

                goals_, pc, fr, cb, nxt_cont = cont
                g = goals_[pc]
                pc += 1
                rest = (goals_, pc, fr, cb, nxt_cont) if pc < len(goals_) else nxt_cont
                op = g.op

                steps += 1
                if steps >= _CHECK_EVERY:
                    self.inferences += steps
                    steps = 0
                    if deadline is not None and time.monotonic() > deadline:
                        self.partial = True
                        return

                if op == OP_CALL:
                    args = g.build(fr)
                    if g.site_kb is kb and g.site_gen == kb.generation:
                        alts = g.site(args)
                    elif routed:
                        g.site_gen = kb.generation
                        g.site = kb.asker(g.name, len(args)) or _no_route
                        g.site_kb = kb
                        alts = g.site(args)
                    else:
                        alts = ask(g.name, args)
                    if type(alts) is list:
                        n = len(alts)
                        if n == 1:
                            # one candidate (first-argument indexing often leaves one): no choicepoint
                            alt = alts[0]
                            if type(alt) is not tuple:
                                fr = alt.match(args, trail, unify, barrier, clock)
                                if fr is None:
                                    cont = FAIL
                                    continue
                                if alt.truth < truth:
                                    truth = alt.truth
                                body = alt.body
                                cont = (body, 0, fr, len(cps), rest) if body else rest
                                continue
                        elif n == 0:
                            cont = FAIL
                            continue
                        i = 0
                    elif alts is None:
                        self.unknown.add((g.name, len(args)))
                        cont = FAIL
                        continue
                    elif type(alts) is not tuple:
                        alts = iter(alts)
                        alt = next(alts, None)
                        if alt is None:
                            cont = FAIL
                            continue
                    else:
                        alts = list(alts)
                        i = 0
                    cutb = len(cps)
                    trying = True
                    continue

                if op == OP_INLINE:
                    steps += len(g.sub) - 1
                    if g.fn(fr, self):
                        cont = rest
                    else:
                        cont = FAIL
                    if self.barrier != barrier:  # a primitive opened a mark
                        self.barrier = barrier
                    continue

                if op == OP_PRIM:
                    pargs = g.build(fr)
                    got = g.fn(self, pargs, g.loc)
                    if got is True:
                        cont = rest
                    elif got is False or got is None:
                        cont = FAIL
                    else:  # an iterator: one solution per item
                        mark = len(trail)
                        first_ = next(got, None)
                        if first_ is None:
                            cont = FAIL
                        else:
                            clock = self.clock = tick()
                            cps.append([_GEN, mark, truth, clock, got, rest])
                            barrier = clock
                            cont = rest
                    if self.barrier != barrier:
                        self.barrier = barrier
                    continue

                if op == OP_CUT:
                    if len(cps) > cb:
                        del cps[cb:]
                        barrier = self.barrier = cps[-1][3] if cps else 0
                        if not cps:
                            trail.clear()  # nothing can undo these bindings any more
                    cont = rest
                    continue

                if op == OP_TRUE:
                    cont = rest
                    continue

                if op == OP_FAIL:
                    cont = FAIL
                    continue

                if op == OP_NOT:
                    # ~G: if G succeeds, cut back past the resume point and fail; else resume
                    barrier_h = len(cps)
                    clock = self.clock = tick()
                    barrier = self.barrier = clock
                    cps.append([_RESUME, len(trail), truth, clock, rest])
                    cont = (g.sub, 0, fr, len(cps), ((Goal(OP_NOTFAIL, args=(barrier_h,)),), 0, fr, barrier_h, None))
                    continue

                if op == OP_NOTFAIL:
                    del cps[g.args[0]:]
                    barrier = self.barrier = cps[-1][3] if cps else 0
                    cont = FAIL
                    continue

                if op == OP_ALL or op == OP_COUNT:
                    bag: list = []
                    if op == OP_ALL:
                        tmpl, result = g.args
                        result = build(result, fr)
                    else:
                        tmpl = None
                        result = build(g.args[0], fr)
                    clock = self.clock = tick()
                    barrier = self.barrier = clock
                    cps.append([_BAG, len(trail), truth, clock, bag, result, rest, op == OP_COUNT])
                    collect = (Goal(OP_COLLECT, args=(tmpl, bag)),)
                    cont = (g.sub, 0, fr, len(cps), (collect, 0, fr, len(cps), None))
                    continue

                if op == OP_COLLECT:
                    tmpl, bag = g.args
                    bag.append(copy_term(build(tmpl, fr)) if tmpl is not None else None)
                    cont = FAIL
                    continue

                if op == OP_HUSH:
                    self.hushed = True
                    cont = rest
                    continue

                # disjunction and if-then-else; both branches keep the clause's cut barrier
                if op == OP_OR:
                    left, right = g.sub
                    clock = self.clock = tick()
                    barrier = self.barrier = clock
                    cps.append([_RESUME, len(trail), truth, clock, (right, 0, fr, cb, rest)])
                    cont = (left, 0, fr, cb, rest)
                    continue

                if op == OP_ITE:
                    # the condition's cuts are local to it; its first solution runs _COMMIT,
                    # which cuts back to ``barrier_h`` (dropping the else branch), then ``then``
                    cond, then, other = g.sub
                    barrier_h = len(cps)
                    clock = self.clock = tick()
                    barrier = self.barrier = clock
                    cps.append([_RESUME, len(trail), truth, clock, (other, 0, fr, cb, rest)])
                    cont = (cond, 0, fr, barrier_h + 1, (_COMMIT, 0, fr, barrier_h, (then, 0, fr, cb, rest)))
                    continue

                raise EvaluationError(f"internal: unknown goal operation {op}", g.loc)

        finally:
            self.inferences += steps
            self.clock = clock
            forget_ground()  # the occurs check's memory of ground terms lives for one query
