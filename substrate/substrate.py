"""The substrate: owns the elementals, routes goals to them, and carries declared statements.

A ``#label(args)`` goal goes to every elemental holding ``label`` with that arity, in creation
order; the solver consumes their answers one after the other (see :meth:`Substrate.ask`).
Declared statements are published (``/spy`` shows them) and delivered as *triggers* to rule
elementals of the same label. Triggers wait in a FIFO queue that :meth:`Substrate.settle`
drains before a console line's answer is printed: every inference a line causes has finished
by then, in a deterministic order (measured: a thread pool only adds hand-off cost under the
GIL, see bench/substrate.py).
"""
from __future__ import annotations

import gc
import os
import threading
import time
import warnings
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable, Iterator

from lang.clauses import build, compile_entry, compile_query, is_ground
from lang.errors import EvaluationError, SeltzerError
from lang.parser import parse_query
from lang.primitives import REGISTRY
from lang.program import Statement
from lang.solver import Machine, copy_term
from lang.tabling import Tables
from lang.terms import Compound, Symbol, Var, resolve, term_depth_safe, to_python

from .tome import elemental as _tome_elemental  # noqa: F401  (registers the tome.* primitives)
from .elemental import Elemental, FactElemental, MemoryElemental
from .router import MergedFacts, make_route

__all__ = ["Substrate", "Answer", "PartialAnswer"]

_TRUE = Symbol("true")

Answer = dict


class PartialAnswer(UserWarning):
    """A query's time to live ran out: its solutions may be incomplete."""


class Substrate:
    """A knowledge base made of elementals; implements the solver's Knowledge interface."""

    default_cluster: Any = None   # what Substrate() uses when given no cluster (tests run suites on Ray)

    def __init__(self, *, ttl: float = 60.0, workers: int | None = None,
                 output: Callable[[str], None] | None = None, cluster: Any = None,
                 trust: bool = False) -> None:
        self.ttl = ttl
        self.trust = trust              # knowledge may touch any path (docs/security.md)
        self.from_knowledge = 0         # > 0 while console.exec runs a line (substrate/paths.py)
        self.workers = workers if workers else max(1, (os.cpu_count() or 2) // 2)
        self.output: Callable[[str], None] = output or (lambda text: None)
        self.elementals: dict[str, Elemental] = {}      # guid -> elemental, creation order
        # routing, built per label on demand and kept up to date as elementals are added
        self._routes: dict[tuple[str, int], Callable | None] = {}
        self.generation = 0     # bumped whenever a route is replaced: the solver's call-site caches check it
        self.tables = Tables(self, lambda: self.ttl)    # answer tables of `table = true` labels
        self._holders: dict[tuple[str, int], list] = {}
        self._merges: dict[tuple[str, int], list] = {}
        self._route_arities: dict[str, set] = {}
        self._labels: dict[str, list] | None = None
        self._label_index: dict[str, Any] = {}
        self._flushers: list = []                       # elementals with pending writes (stores)
        self._touched: set = set()                      # fact elementals retracted from this line
        self._query_cache: dict = {}                    # (text, file) -> CompiledQuery
        self._pending: dict[str, list] = {}             # label -> [n, [statements]]
        self._triggers: deque = deque()
        self._settling = False
        self.spies: set[str] = set()
        self.counters: Counter = Counter()
        self._executor: ThreadPoolExecutor | None = None
        self._console = None
        self._journal: list | None = None
        self.lock = threading.RLock()
        self.cluster = None        # a substrate.cluster.Cluster: fact and store elementals go there
        self._owns_cluster = False
        if cluster is None:
            cluster = Substrate.default_cluster
        if cluster is not None and cluster is not False:
            self.use_cluster(cluster)
        _tune_gc()

    # -- transactions: a console line changes everything or nothing ----------------------------
    def in_transaction(self) -> bool:
        """True while a console line's changes are being journaled."""
        return self._journal is not None

    def begin(self) -> None:
        """Start journaling changes so that :meth:`rollback` can undo them."""
        self._journal = []

    def commit(self) -> None:
        """Keep the changes made since :meth:`begin` (finish deferred closes, run commit hooks)."""
        journal, self._journal = self._journal, None
        for item in journal or ():
            if item[0] == "close" or item[0] == "commit":
                (item[1].close if item[0] == "close" else item[1])()
        touched, self._touched = self._touched, set()
        for e in touched:
            e.compact()

    def rollback(self) -> None:
        """Undo every in-memory change made since :meth:`begin`; drop pending work."""
        journal, self._journal = self._journal, None
        self._triggers.clear()
        self._pending.clear()
        self._touched.clear()
        for item in reversed(journal or ()):
            if item[0] == "undo":
                try:
                    item[1]()
                except SeltzerError as e:   # e.g. a full disk while deleting a store's batches:
                    self.output(f"error: could not undo part of the failed line: {e.message()}")
        self.changed()

    def journal(self, undo: Callable[[], None]) -> None:
        """Record how to undo a change (no-op outside a transaction)."""
        if self._journal is not None:
            self._journal.append(("undo", undo))

    def on_commit(self, done: Callable[[], None]) -> None:
        """Run ``done`` when the current line commits (no-op outside a transaction)."""
        if self._journal is not None:
            self._journal.append(("commit", done))

    # -- elementals ----------------------------------------------------------------------------
    def add(self, elemental: Elemental) -> Elemental:
        """Install an elemental (it answers queries from now on). With a cluster, a new fact
        elemental (a bundle, a first assert) is placed on it."""
        if self.cluster is not None and type(elemental) is FactElemental \
                and elemental.properties.get("host") is not Symbol("local"):
            elemental = self.cluster.adopt(elemental)
        with self.lock:
            self.elementals[elemental.guid] = elemental
            self._installed(elemental)
        if hasattr(elemental, "attach"):
            elemental.attach(self)
        self.journal(lambda: (self.elementals.pop(elemental.guid, None),
                              getattr(elemental, "discard", elemental.close)()))
        return elemental

    def changed(self, label: str | None = None) -> None:
        """Forget the routes of ``label`` (or of every label): an elemental was dropped, an
        index changed, or an elemental gained or lost an arity. They are rebuilt on demand."""
        if label is None:
            self.tables.clear()
            self._routes = {}
            self._holders = {}
            self._merges = {}
            self._route_arities = {}
            self._labels = None
            self._label_index = {}
            self._flushers = [e for e in self.elementals.values() if hasattr(e, "flush")]
            self.generation += 1
            return
        self.tables.touch(label)
        self._label_index.pop(label, None)
        for arity in self._route_arities.pop(label, ()):
            self._drop_route((label, arity))

    def _drop_route(self, key: tuple[str, int]) -> None:
        self.generation += 1
        self._routes.pop(key, None)
        self._holders.pop(key, None)
        self._merges.pop(key, None)

    def _installed(self, e: Elemental) -> None:
        """Bring the routing up to date with a newly added elemental: O(1) in the number of
        elementals (a run of fact elementals takes the new one into its merged index)."""
        label = e.label
        self.tables.touch(label)
        if self._labels is not None:
            self._labels.setdefault(label, []).append(e)
        if hasattr(e, "flush"):
            self._flushers.append(e)
        if label in self._label_index and self._label_index[label] is _NO_INDEX and "index" in e.properties:
            self._label_index[label] = e.properties["index"]
        arities = self._route_arities.get(label)
        if not arities:
            return
        ar = e.arities()
        if ar is None:
            self.changed(label)
            return
        for arity in list(ar):
            if arity not in arities:
                continue
            key = (label, arity)
            route = self._routes.get(key)
            holders = self._holders.get(key)
            if type(e) is FactElemental and holders:
                if type(route) is MergedFacts and len(route.els) == len(holders):
                    route.add(e)
                    holders.append(e)
                    continue
                if len(holders) == 1 and type(holders[0]) is FactElemental:
                    m = MergedFacts([holders[0], e], arity)
                    self.generation += 1
                    self._routes[key] = m
                    self._merges[key] = [m]
                    holders.append(e)
                    continue
            self._drop_route(key)
            arities.discard(arity)

    # -- hosting on a Ray cluster (substrate/cluster/) ---------------------------------------------
    def use_cluster(self, cluster: Any = True):
        """Place fact and store elementals on a Ray cluster from now on: a
        :class:`substrate.cluster.Cluster`, an address (``"auto"``, ``"host:6379"``) or True
        for a local one (then closed with this substrate)."""
        from .cluster import Cluster
        if not isinstance(cluster, Cluster):
            cluster = Cluster(None if cluster is True else str(cluster))
            self._owns_cluster = True
        self.cluster = cluster
        return cluster

    def build_elemental(self, cd):
        """Make the elemental of a compiled definition: on the cluster for facts and stores
        when one is in use (or the definition says ``host = ray``), else in this process."""
        from .loader import build_elemental
        from .cluster.placement import placement
        where = placement(self, cd)
        if where is None:
            return build_elemental(cd)
        return where.place(cd.label, cd.properties, cd.entries, cd.procedural, where=cd.where)

    def remove(self, guid: str) -> Elemental:
        """Uninstall and close one elemental (closed when the line commits)."""
        with self.lock:
            order = list(self.elementals)
            e = self.elementals.pop(guid)
            self.changed()
            self._flushers = [x for x in self._flushers if x is not e]
        if self._journal is None:
            e.close()
        else:
            self._journal.append(("close", e))
            self.journal(lambda: self._reinsert(order, e))
        return e

    def _reinsert(self, order: list, e: Elemental) -> None:
        self.elementals[e.guid] = e
        rank = {g: i for i, g in enumerate(order)}
        self.elementals = dict(sorted(self.elementals.items(), key=lambda kv: rank.get(kv[0], len(rank))))

    def with_label(self, label: str) -> list:
        """Elementals holding ``label`` (any arity), in creation order."""
        labels = self._labels
        if labels is None:
            labels = {}
            for e in self.elementals.values():
                labels.setdefault(e.label, []).append(e)
            self._labels = labels
        return labels.get(label, [])

    def labels(self) -> list[str]:
        """Every label held, in order of first appearance."""
        self.with_label("")
        return list(self._labels)

    def _route(self, label: str, arity: int):
        """Build (and keep) the route of ``label/arity`` from the elementals holding that
        label: those with that arity, and those answering any arity (stores), in creation
        order. None when no elemental holds it. Costs O(elementals of ``label``)."""
        key = (label, arity)
        holders = []
        for e in self.with_label(label):
            ar = e.arities()
            if ar is None or arity in ar:
                holders.append(e)
        self._route_arities.setdefault(label, set()).add(arity)
        if not holders:
            self._routes[key] = None
            self._holders[key] = holders
            return None
        route, merges = make_route(holders, arity)
        if self.cluster is not None:  # rules with ``near = label`` run on the label's hosts
            from .cluster.near import near_route
            route = near_route(self, label, arity, holders, route)
        if any(e.properties.get("table") is _TRUE for e in holders):
            route = self.tables.route(label, arity, route)  # tabling (lang/tabling.py)
        self._routes[key] = route
        self._holders[key] = holders
        if merges:
            self._merges[key] = merges
        return route

    def prepare(self, label: str) -> None:
        """Build ``label``'s routes and merged indexes now (after /poke), not on the next query."""
        arities = set()
        for e in self.with_label(label):
            ar = e.arities()
            if ar is not None:
                arities.update(ar)
        for arity in arities:
            key = (label, arity)
            if key not in self._routes:
                self._route(label, arity)
            for m in self._merges.get(key, ()):
                for pos in m.positions:
                    if pos not in m.merged:
                        m.build(pos)

    def holders(self, label: str, arity: int) -> list:
        """The elementals answering ``label/arity`` goals, in creation order."""
        key = (label, arity)
        if key not in self._routes:
            self._route(label, arity)
        return self._holders[key]

    def executor(self) -> ThreadPoolExecutor:
        """The substrate's thread pool for searches that release the GIL (store, tome)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=max(2, self.workers * 2),
                                                thread_name_prefix="seltzer")
        return self._executor

    def close(self) -> None:
        """Close every elemental and stop the executor."""
        for e in list(self.elementals.values()):
            e.close()
        self.elementals.clear()
        self.changed()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._owns_cluster and self.cluster is not None:
            self.cluster.shutdown()
            self.cluster = None

    # -- Knowledge interface (used by the solver and primitives) --------------------------------
    def ask(self, label: str, args: list) -> Iterable | None:
        """Alternatives for ``#label(args)`` from every elemental holding it, in creation order."""
        key = (label, len(args))
        asker = self._routes.get(key)
        if asker is None:
            if key in self._routes:
                return None
            asker = self._route(label, len(args))
            if asker is None:
                return None
        return asker(args)

    def asker(self, label: str, arity: int) -> Callable | None:
        """The function answering ``#label`` goals of ``arity`` (args -> alternatives), or None
        when no elemental holds it; valid while :attr:`generation` stays the same."""
        key = (label, arity)
        asker = self._routes.get(key)
        if asker is None and key not in self._routes:
            asker = self._route(label, arity)
        return asker

    def assert_statement(self, label: str, args: tuple) -> None:
        """Add a statement to the newest writable elemental with that label and arity."""
        self.tables.touch(label)
        entry = statement_entry(args)
        arity = len(args)
        target = self._writable(label, arity)
        if target is None:
            target = self.add(FactElemental(label))
        key = (label, arity)
        if type(target) is FactElemental:
            t = target.tables.get(arity)
            had = t is not None and t.live > 0
            token = target.tell_entry(entry)
            self.journal(lambda: target.untell(token))
            if not had:
                self._drop_route(key)
            else:
                for m in self._merges.get(key, ()):
                    m.appended(target, entry)
            return
        ar = target.arities()
        new_arity = ar is not None and arity not in ar
        if type(entry) is tuple:
            target.tell([entry])
        else:
            _tell_any(target, entry)
        if getattr(target, "remote", False):
            self.journal(lambda: target.forget(entry))
        if new_arity or type(entry) is not tuple:
            self.changed(label)

    def _writable(self, label: str, arity: int):
        for e in reversed(self.with_label(label)):
            if not getattr(e, "writable", False):
                continue
            ar = e.arities()
            if ar is None or arity in ar or not list(ar):
                return e
        return None

    def retract_statement(self, label: str, args: tuple) -> tuple | None:
        """Remove the first statement (creation order) that unifies with ``label(args)``;
        return its arguments (for the caller to unify with), or None."""
        self.tables.touch(label)
        m = Machine(self, None)
        goal = Compound("s", args) if args else Symbol("s")

        def matches(entry) -> bool:
            return m.unifiable(goal, _entry_term(entry))

        arity = len(args)
        for e in self.holders(label, arity):
            if not getattr(e, "writable", False):
                continue
            if type(e) is FactElemental:
                found = e.retract_entry(args, matches)
                if found is not None:
                    token, entry = found
                    if self._journal is not None:
                        self.journal(lambda e=e, token=token, entry=entry: e.restore(token, entry))
                        self._touched.add(e)
                    else:
                        e.compact()
                    t = e.tables.get(arity)
                    if t is None or not t.live:
                        self.changed(label)  # it no longer holds label/arity
                    term = _entry_term(entry)
                    return term.args if type(term) is Compound else ()
            elif getattr(e, "remote", False):
                found = e.retract_entry(args, matches)
                if found is not None:
                    pos, entry = found
                    self.journal(lambda e=e, pos=pos, entry=entry: e.restore(pos, entry))
                    self.changed(label)
                    term = _entry_term(entry)
                    return term.args if type(term) is Compound else ()
            else:
                removed = e.retract(args, matches)
                if removed is not None and removed is not False:
                    self.changed(label)
                    return removed if type(removed) is tuple else tuple(args)
        return None

    def bundle_statement(self, label: str, args: tuple, n: int) -> None:
        """Add to ``label``'s pending bundle; a full bundle becomes a new fact elemental."""
        pend = self._pending.get(label)
        if pend is None:
            pend = self._pending[label] = [n, []]
        pend[0] = n
        pend[1].append(statement_entry(args))
        if len(pend[1]) >= n:
            stmts = pend[1]
            pend[1] = []
            self.install_bundle(label, stmts)

    def install_bundle(self, label: str, stmts: list) -> None:
        """Make a fact elemental of ``stmts``, copying the ``index`` of the label's elementals."""
        index = self._label_index.get(label, _UNKNOWN)
        if index is _UNKNOWN:
            index = _NO_INDEX
            for e in self.with_label(label):
                if "index" in e.properties:
                    index = e.properties["index"]
                    break
            self._label_index[label] = index
        self.add(FactElemental(label, stmts, {} if index is _NO_INDEX else {"index": index}))

    def flush_bundles(self) -> None:
        """Turn every pending bundle remainder into a fact elemental."""
        for label, pend in list(self._pending.items()):
            if pend[1]:
                stmts = pend[1]
                pend[1] = []
                self.install_bundle(label, stmts)
        self._pending.clear()

    def declare_statement(self, label: str, args: tuple) -> None:
        """Publish a statement without storing it; it triggers rules of its label."""
        self.declare_ground(label, tuple([resolve(a) for a in args]))

    def declare_ground(self, label: str, args: tuple) -> None:
        """Declare a statement whose arguments are already resolved (importers)."""
        if self.spies and label in self.spies:
            self.publish(label, args)
        self._triggers.append((label, args))

    def publish(self, label: str, args: tuple) -> None:
        """Announce a statement on the substrate (``/spy`` prints it)."""
        if label in self.spies:
            from lang.printer import show
            text = label + ("(" + ", ".join(show(a) for a in args) + ")" if args else "")
            self.output("spy: " + text)

    def settle(self, flush: bool = True) -> None:
        """Run every waiting trigger (and those they cause); then, with ``flush``, turn pending
        bundle remainders into elementals (done when a console line or import finishes)."""
        if self._settling:
            return
        self._settling = True
        try:
            triggers = self._triggers
            deadline = time.monotonic() + self.ttl if self.ttl else None
            n = 0
            while triggers:
                label, args = triggers.popleft()
                self._run_trigger(label, args)
                n += 1
                if deadline is not None and not n & 63 and time.monotonic() > deadline:
                    # a rule that keeps declaring statements its own label answers: each trigger
                    # has a time to live, so the cascade as a whole gets one too
                    triggers.clear()
                    raise EvaluationError(f"triggers still running after the time to live ({self.ttl:g} s, "
                                          f"{n} triggers): a rule keeps declaring statements that "
                                          f"trigger rules; the line is undone")
            if flush:
                self.flush_bundles()
                for e in list(self._flushers):
                    e.flush()
        finally:
            self._settling = False

    def _run_trigger(self, label: str, args: tuple) -> None:
        """Deliver a declared statement to each rule elemental of its label: a trigger fires
        when one of its prototypes' heads unifies, and runs that elemental's prototypes as a
        query on those arguments (first solution)."""
        for e in self.holders(label, len(args)):
            if e.cls != "rules":
                continue
            goal_args = list(args)
            alts = e.ask(goal_args)
            if not alts:
                continue
            m = Machine(self, self.ttl)
            if not any(_head_unifies(alt, goal_args, m) for alt in alts):
                continue
            self.counters["triggers"] += 1
            try:
                for _ in m.solve((), [], first=(goal_args, alts)):
                    if not m.hushed and self.spies and label in self.spies:
                        self.publish(label, tuple(resolve(a) for a in goal_args))
                    break
            finally:
                self.counters["inferences"] += m.inferences

    def elemental_ids(self, label: str) -> list:
        """GUIDs (as strings) of the elementals holding ``label``."""
        return [e.guid for e in self.with_label(label)]

    def emit(self, text: str) -> None:
        """Send a line of output to the console."""
        self.output(text)

    def exec_line(self, line: str) -> bool:
        """Run a console line from knowledge (``console.exec``); True when it succeeded.
        Its paths are confined to the current directory unless trusted (substrate/paths.py)."""
        self.from_knowledge += 1
        try:
            return self.console.run_line(line)
        finally:
            self.from_knowledge -= 1

    # -- public API ------------------------------------------------------------------------------
    @property
    def console(self):
        """The console that runs lines against this substrate (created on first use);
        its output goes to this substrate's ``output``."""
        if self._console is None:
            from .console import Console
            self._console = Console(self, self.output)
        return self._console

    def load(self, *paths: str) -> list:
        """Load .kb / .kbz files (several in parallel) as one transaction: when any file has
        an error, nothing is kept and the first error is raised (a SeltzerError with
        ``.where``; ``.results`` lists what each file did). Returns one LoadResult per file."""
        from .loader import load_files
        with self.lock:
            outer = self.in_transaction()
            if not outer:
                self.begin()
            try:
                results = load_files(self, list(paths))
                failed = [r.error for r in results if r.error is not None]
                if failed:
                    failed[0].results = results
                    raise failed[0]
            except BaseException:
                if not outer:
                    self.rollback()
                raise
            if not outer:
                self.commit()
            return results

    def load_text(self, text: str, file: str = "<text>") -> list:
        """Load knowledge definitions from text; all-or-nothing."""
        from lang.parser import parse_program
        from .loader import install
        return install(self, parse_program(text, file), file)

    def query(self, text: str, ttl: float | None = None) -> Iterator[Answer]:
        """Solve a query; yield each solution as a dict of Python values (see lang.terms.to_python).

        The query is one transaction: other threads wait until it is exhausted or closed; an
        error raises the project's exception (with ``.where``) and undoes what the query changed.
        When the time to live runs out, the solutions found so far are yielded and a
        :class:`PartialAnswer` warning is issued (``warnings``), as the console's summary does.
        """
        m = Machine(self, self.ttl if ttl is None else ttl)
        with self.lock:
            outer = self.in_transaction()
            if not outer:
                self.begin()
            try:
                for answer, _truth in self.solve(text, ttl, machine=m):
                    yield {k: to_python(v) for k, v in answer.items()}
            except GeneratorExit:
                if not outer:
                    self.commit()  # closed early: what the solutions so far did stays
                raise
            except RecursionError:
                if not outer:
                    self.rollback()
                raise SeltzerError("nested too deeply (Python recursion limit)") from None
            except BaseException:
                if not outer:
                    self.rollback()
                raise
            if not outer:
                self.commit()
        if m.partial:
            warnings.warn(f"time to live ran out: the answer to {text!r} may be partial", PartialAnswer,
                          stacklevel=2)

    def solve(self, text: str, ttl: float | None = None, machine: Machine | None = None,
              file: str = "<query>"):
        """Solve a query, yielding (answer terms, truth); triggers and bundles settle at the end."""
        compiled = self._compiled(text, file)
        m = machine or Machine(self, self.ttl if ttl is None else ttl)
        self.counters["queries"] += 1
        try:
            yield from m.run(compiled)
        except GeneratorExit:
            # Closed before its end: inside a console line that means the line is failing (its
            # rollback drops the triggers); through the API, what it triggered still runs.
            if self._journal is None:
                self.settle()
            raise
        except BaseException:
            raise                       # the line fails; its rollback drops the triggers
        else:
            self.settle()
        finally:
            self.counters["inferences"] += m.inferences

    def table(self, text: str, ttl: float | None = None):
        """Solve a query and return all its solutions as a :class:`~substrate.results.QueryTable`
        (rows and columns, pandas/Arrow/CSV exports, an HTML table in Jupyter)."""
        from .results import QueryTable
        return QueryTable.run(self, text, ttl)

    def _compiled(self, text: str, file: str):
        """The compiled query of ``text``, cached: an API program asking the same query again
        pays a dict lookup instead of parsing and compiling (issue 15: 27 of 41 us). A
        compiled query is read-only data; each run gets its own frame."""
        key = (text, file)
        got = self._query_cache.get(key)
        if got is None:
            got = compile_query(parse_query(text, file), REGISTRY)
            if len(self._query_cache) >= 512:
                self._query_cache.clear()
            self._query_cache[key] = got
        return got

    def run(self, line: str):
        """Run any console line (query, definition or command) as one transaction.

        Returns a :class:`~substrate.console.result.RunResult`: ``ok``, the ``output`` lines,
        the ``solutions`` (Python values) and the ``error`` (truthy when the line succeeded).
        The output also goes to the ``output`` function given to the substrate."""
        return self.console.run_capture(line)

    # -- elementals from definitions -------------------------------------------------------------
    def stats(self) -> dict:
        """Counts for /stats: elementals by class, statements, prototypes, queries, inferences."""
        by_class: Counter = Counter()
        statements = prototypes = 0
        for e in self.elementals.values():
            by_class[e.cls] += 1
            if e.cls == "rules":
                p = e.prototypes()
                prototypes += p
                statements += e.count() - p
            else:
                statements += e.count()
        return {
            "elementals": dict(by_class), "statements": statements, "prototypes": prototypes,
            "queries": self.counters["queries"], "inferences": self.counters["inferences"],
            "triggers": self.counters["triggers"], "memory": _rss(),
        }


def statement_entry(args: tuple):
    """What an elemental stores for asserted arguments: a plain tuple when ground, else a
    Clause whose variables are renamed apart (``:_1``, ...) so that a saved .kb reads back
    with the same sharing."""
    resolved = tuple([resolve(a) for a in args])
    for a in resolved:
        t = type(a)
        if t is not int and t is not str and t is not float and t is not Symbol and not is_ground(a):
            break
    else:
        return resolved
    copy = copy_term(Compound("s", resolved))  # one copy: variables shared between arguments stay shared
    names: dict[int, Var] = {}
    for sub in term_depth_safe(copy):
        if type(sub) is Var and id(sub) not in names:
            names[id(sub)] = sub
            sub.name = f"_{len(names)}"
    return compile_entry(Statement(copy.args), REGISTRY, runtime=True, data=True)


def _head_unifies(alt, args: list, m: Machine) -> bool:
    """Whether a rule elemental's entry matches the arguments (no bindings are kept)."""
    mark = m.mark()
    if type(alt) is tuple:
        ok = m.unify(Compound("s", tuple(args)), Compound("s", alt)) if alt else True
    else:
        ok = m.match(alt, args) is not None
    m.undo(mark)
    return ok


def _entry_term(entry) -> Any:
    """A stored entry as a term ``s(args)`` (fresh variables for a non-ground statement)."""
    if type(entry) is tuple:
        return Compound("s", entry) if entry else Symbol("s")
    frame = [None] * entry.nvars
    head = tuple(build(t, frame) for t in entry.head)
    return Compound("s", head) if head else Symbol("s")


def _tell_any(target, clause) -> None:
    """Store a non-ground or weighted statement (a Clause) in an elemental other than a fact
    elemental: only in-memory ones can hold it."""
    if type(target) is FactElemental:
        target.tell_entry(clause)
    elif isinstance(target, MemoryElemental):
        b = target._bucket(len(clause.head))
        b.entries.append(clause)
        target.rebuild_indexes()
    elif getattr(target, "remote", False):
        target.tell([clause])
    else:
        raise SeltzerError(f"{target.cls} elementals only hold ground statements")


_UNKNOWN = object()   # _label_index: not looked up yet
_NO_INDEX = object()  # _label_index: no elemental of the label has an index


def _tune_gc() -> None:
    """Raise the generation-0 collection threshold if it is still Python's default.

    Proofs allocate millions of short-lived frames and terms; at the default threshold (700)
    the cyclic collector took 60% of a million-deep recursion (9.1 s vs 3.4 s without it,
    /tmp profile of #count.down). A program that set its own thresholds keeps them.
    """
    t0, t1, t2 = gc.get_threshold()
    if t0 == 700:
        gc.set_threshold(100_000, t1, t2)


def _rss() -> int:
    """Resident memory of this process in bytes."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
