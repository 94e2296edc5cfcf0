"""Tabling: a rule definition with ``table = true`` memoises its answers (SWI-Prolog's ``:- table``).

A call to a tabled label is answered from the *table* of its call variant (the call's
arguments with variables numbered apart: ``#path(a, :y)`` and ``#path(a, :z)`` share one).
A new variant is evaluated to completion before its answers are returned, by running the
label's entries repeatedly until no new answer appears (a fixpoint), each answer kept once:

* a call to a variant that is itself being evaluated (left recursion,
  ``path(:x, :y) :- #path(:x, :z), #edge(:z, :y)``) does not recurse: it *consumes* the
  answers found so far, lazily, one at a time, including those added while it runs;
* a consumer that reached the end of a table which then grew must see the newcomers: the
  evaluation runs the entries again (answers already known are not added twice) until a
  round ends with every consumer having seen every answer;
* variants that consume each other's unfinished tables complete together: the oldest one
  (the *leader*) repeats the rounds, and all are complete when it is.

Nested evaluations are Python recursion; past :data:`MAX_NESTING` variants on the stack a
new variant is not evaluated at once but left *pending*: its caller consumes its (empty)
table, and the outermost evaluation evaluates the pending tables between its rounds, so
right recursion over a long chain (``fib(100)``, a path along 10,000 edges) needs rounds,
not stack.

Tables record the labels their evaluation asked (directly or through other tables); the
knowledge base drops them when a statement of one of those labels is asserted or retracted
(:meth:`Tables.touch`) and drops every table when its elementals change (:meth:`Tables.clear`).
Answers are resolved copies: a ground answer is a tuple the solver unifies like a fact; a
non-ground one is copied afresh for each use.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterator

from .errors import EvaluationError
from .terms import Compound, Cons, Var, deref, rebuild, term_depth_safe

__all__ = ["Tables", "MAX_NESTING"]

MAX_NESTING = 64


class _Hole:
    """Variable number ``i`` of a call variant or an answer (hashable, compares by number)."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i

    def __eq__(self, other: object) -> bool:
        return type(other) is _Hole and other.i == self.i

    def __hash__(self) -> int:
        return hash(("_Hole", self.i))


def _variant(args) -> tuple[tuple, bool]:
    """The variant key of a tuple of terms (variables numbered in order) and whether it is ground."""
    holes: dict[int, _Hole] = {}

    def leaf(x: Any) -> Any:
        if type(x) is Var:
            h = holes.get(id(x))
            if h is None:
                h = holes[id(x)] = _Hole(len(holes))
            return h
        return x

    key = tuple(rebuild(a, leaf) if type(deref(a)) in (Cons, Compound, Var) else deref(a) for a in args)
    return key, not holes


def _fresh(answer: tuple) -> tuple:
    """A copy of a non-ground answer (stored with holes) with new variables."""
    made: dict[int, Var] = {}

    def leaf(x: Any) -> Any:
        if type(x) is _Hole:
            v = made.get(x.i)
            if v is None:
                v = made[x.i] = Var()
            return v
        return x

    return tuple(rebuild(a, leaf) for a in answer)


def _has_hole(answer: tuple) -> bool:
    """True when a stored answer has variables (holes)."""
    for a in answer:
        for x in term_depth_safe(a):
            if type(x) is _Hole:
                return True
    return False


class Table:
    """The answers of one call variant; ``complete`` once its evaluation reached a fixpoint."""

    __slots__ = ("key", "label", "answers", "seen", "ground", "complete", "depth", "deps", "consumer",
                 "inner", "pattern")

    def __init__(self, key: tuple, label: str, inner: Callable, pattern: list) -> None:
        self.key = key
        self.label = label
        self.inner = inner               # the route giving the label's entries
        self.pattern = pattern           # the call's variant (variables as holes)
        self.answers: list[tuple] = []   # tuples of terms (with _Hole for variables)
        self.seen: set = set()
        self.ground = True               # every answer is ground
        self.complete = False
        self.depth = -1                  # position on the evaluation stack while evaluated
        self.deps: set[str] = set()
        self.consumer: _Consumer | None = None

    def add(self, args: list) -> None:
        """Add the answer ``args`` (the solved call's arguments) unless it is already there."""
        key, ground = _variant(args)
        if key in self.seen:
            return
        self.seen.add(key)
        self.answers.append(key)
        if not ground:
            self.ground = False

    def alternatives(self) -> list:
        """The answers as alternatives for the solver (fresh copies of non-ground ones)."""
        if self.ground:
            return self.answers
        return [_fresh(a) if _has_hole(a) else a for a in self.answers]


class _Frame:
    """One evaluation on the stack: its table, the oldest stack position it consumed from, the
    labels it asked, and how far each consumer read tables that are not complete."""

    __slots__ = ("table", "leader", "deps", "reads")

    def __init__(self, table: Table, depth: int) -> None:
        self.table = table
        self.leader = depth
        self.deps: set[str] = set()
        self.reads: list[tuple[Table, int]] = []


class Tables:
    """The tables of one knowledge base, and the evaluation of tabled calls.

    ``kb`` is the knowledge base nested evaluations ask (through a recorder of the labels
    asked); ``ttl`` a function giving the time to live in seconds (None: unlimited).
    """

    def __init__(self, kb: Any, ttl: Callable[[], float | None]) -> None:
        self.kb = kb
        self.ttl = ttl
        self.tables: dict[tuple, Table] = {}
        self.dependents: dict[str, set[tuple]] = {}
        self.stack: list[_Frame] = []
        self.pending: list[Table] = []   # new variants met past MAX_NESTING: evaluated by the root
        self.deadline: float | None = None

    # -- invalidation ------------------------------------------------------------------------
    def touch(self, label: str) -> None:
        """A statement of ``label`` was asserted or retracted: drop the tables that asked it."""
        keys = self.dependents.pop(label, None)
        if keys:
            for key in keys:
                self.tables.pop(key, None)

    def clear(self) -> None:
        """Drop every table (the elementals changed)."""
        self.tables.clear()
        self.dependents.clear()

    def __len__(self) -> int:
        return len(self.tables)

    # -- calls -------------------------------------------------------------------------------
    def route(self, label: str, arity: int, inner: Callable) -> Callable:
        """The route answering tabled ``label/arity`` calls; ``inner`` gives the entries."""
        def ask(args: list):
            return self.call(label, arity, inner, args)
        ask.tabled = True
        return ask

    def call(self, label: str, arity: int, inner: Callable, args: list):
        """Alternatives answering ``#label(args)`` from its table (evaluated first if new)."""
        key, _ = _variant(args)
        key = (label, arity) + key
        table = self.tables.get(key)
        if len(self.stack) >= MAX_NESTING and (table is None or (not table.complete and table.depth < 0)):
            # too deep to evaluate now: the outermost evaluation will, between its rounds
            if table is None:
                table = self.tables[key] = Table(key, label, inner, key[2:])
            self.pending.append(table)
            self.stack[-1].leader = 0
            return self._consume(table)
        if table is not None and table.complete:
            if self.stack:
                self.stack[-1].deps |= table.deps
            return table.alternatives()
        if table is not None and table.depth >= 0:
            return self._consume(table)
        if table is None:
            table = self.tables[key] = Table(key, label, inner, key[2:])
        self._evaluate(table)
        if table.complete:
            if self.stack:
                self.stack[-1].deps |= table.deps
            return table.alternatives()
        return self._consume(table)

    def _consume(self, table: Table) -> list:
        """One alternative that reads ``table`` (not complete) lazily; records how far it read."""
        top = self.stack[-1] if self.stack else None
        if top is not None and table.depth >= 0 and table.depth < top.leader:
            top.leader = table.depth
        if table.consumer is None:
            table.consumer = _Consumer(self, table)
        return [table.consumer]

    def _read_to_end(self, table: Table, n: int) -> None:
        """A consumer of ``table`` saw its first ``n`` answers and found no more."""
        if self.stack and not table.complete:
            self.stack[-1].reads.append((table, n))

    def _evaluate(self, table: Table) -> None:
        """Run ``table``'s entries to a fixpoint (or, when it depends on an older evaluation,
        for one round: the leader repeats it)."""
        from .solver import Machine
        outermost = not self.stack
        if outermost:
            ttl = self.ttl()
            self.deadline = (time.monotonic() + ttl) if ttl else None
        depth = len(self.stack)
        frame = _Frame(table, depth)
        table.depth = depth
        self.stack.append(frame)
        recorder = _Recorder(self.kb, frame)
        pattern = table.pattern
        inner = table.inner
        ok = False
        try:
            while True:
                frame.reads.clear()
                call_args = list(_fresh(pattern))
                alts = inner(call_args)
                if alts is not None:
                    remaining = None
                    if self.deadline is not None:
                        remaining = self.deadline - time.monotonic()
                        if remaining <= 0:
                            raise _TimeUp()
                    m = Machine(recorder, remaining if remaining is not None else None)
                    for _truth in m.solve((), [0], first=(call_args, alts)):
                        table.add(call_args)
                    if m.partial:
                        raise _TimeUp()
                if depth == 0:
                    while self.pending:
                        t = self.pending.pop()
                        if not t.complete and t.depth < 0 and self.tables.get(t.key) is t:
                            self._evaluate(t)
                if frame.leader < depth:
                    break  # an older evaluation consumed by this one will repeat the rounds
                if not any(len(t.answers) > n for t, n in frame.reads):
                    break  # every consumer saw every answer: a fixpoint
            ok = True
        except _TimeUp:
            raise EvaluationError(f"time to live ran out while tabling #{table.label}/"
                                  f"{len(pattern)}: its table is not complete") from None
        finally:
            self.stack.pop()
            table.depth = -1
            if not ok:
                self.pending.clear()
                self._drop_incomplete()
        if self.stack:
            below = self.stack[-1]
            below.deps |= frame.deps
            below.deps.add(table.label)
            below.reads.extend(frame.reads)
            if frame.leader < below.leader:
                below.leader = frame.leader
        if frame.leader >= depth:
            self._complete(frame)

    def _complete(self, frame: _Frame) -> None:
        """Mark the frame's table (and every table it consumed unfinished) complete."""
        deps = frame.deps | {frame.table.label}
        done = {id(frame.table): frame.table}
        for t, _n in frame.reads:
            done[id(t)] = t
        for t in done.values():
            if t.depth >= 0:
                continue  # still on the stack below: completes with its own leader
            t.complete = True
            t.consumer = None
            t.deps = deps
            if self.tables.get(t.key) is t:
                for label in deps:
                    self.dependents.setdefault(label, set()).add(t.key)

    def _drop_incomplete(self) -> None:
        """After an error inside an evaluation: forget every table that is not complete."""
        for key in [k for k, t in self.tables.items() if not t.complete and t.depth < 0]:
            del self.tables[key]


class _TimeUp(Exception):
    pass


class _Recorder:
    """The knowledge base as nested evaluations see it: every label asked is recorded."""

    def __init__(self, kb: Any, frame: _Frame) -> None:
        self._kb = kb
        self._frame = frame

    def ask(self, label: str, args: list):
        self._frame.deps.add(label)
        return self._kb.ask(label, args)

    def __getattr__(self, name: str) -> Any:
        if name in ("asker", "generation"):  # no call-site caching: every ask is recorded
            raise AttributeError(name)
        return getattr(self._kb, name)


class _Consumer:
    """An alternative the solver tries like a clause: its body reads the table's answers one
    at a time, as the solver backtracks into it, so answers added meanwhile are seen too."""

    __slots__ = ("body", "truth", "commit", "tables", "table", "arity")

    def __init__(self, tables: Tables, table: Table) -> None:
        from .clauses import OP_PRIM, Goal, Slot
        self.tables = tables
        self.table = table
        self.truth = 1.0
        self.commit = False
        self.arity = n = len(table.key) - 2
        slots = tuple(Slot(i, None) for i in range(n))
        self.body = (Goal(OP_PRIM, "table.consume", slots, fn=self._run, known=frozenset(range(n))),)

    def match(self, args, trail, unify, barrier, stamp):
        return list(args) + [stamp]

    def _run(self, m, args, loc) -> Iterator[bool]:
        return self._answers(m, args)

    def _answers(self, m, args) -> Iterator[bool]:
        table = self.table
        answers = table.answers
        mark = m.mark()
        i = 0
        while i < len(answers):
            a = answers[i]
            i += 1
            if not table.ground and _has_hole(a):
                a = _fresh(a)
            ok = True
            for x, y in zip(args, a):
                if not m.unify(x, y):
                    ok = False
                    break
            if ok:
                yield True
            m.undo(mark)
        self.tables._read_to_end(table, i)
