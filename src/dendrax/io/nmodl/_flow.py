"""Which variables each part of an NMODL file reads and writes, and the checks of every
statement that is reachable from INITIAL, BREAKPOINT and the SOLVEd blocks.

NEURON keeps every ASSIGNED variable from one call to the next, so a variable that some block
reads before it has written it sees the value of an earlier block (``m_inf`` of
``IT_huguenard.mod``: written by the state update, read by the next BREAKPOINT). dendrax's
mechanisms are pure functions of their states, so such variables are carried as states; this
module finds them: per block, the module variables possibly read before they are definitely
written (``reads``), possibly written (``writes``) and definitely written (``definite``), with
PROCEDURE and FUNCTION calls summarised from their bodies.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from . import _ast as A

if TYPE_CHECKING:
    from ._analysis import Symbols


@dataclasses.dataclass(frozen=True)
class Effects:
    reads: frozenset[str] = frozenset()  # module variables read before definitely written
    writes: frozenset[str] = frozenset()  # module-level names possibly written
    definite: frozenset[str] = frozenset()  # module variables definitely written
    uses: frozenset[str] = frozenset()  # every module-level name read

    def then(self, other: Effects) -> Effects:
        """This block followed by ``other``."""
        return Effects(
            self.reads | (other.reads - self.definite),
            self.writes | other.writes,
            self.definite | other.definite,
            self.uses | other.uses,
        )


class _Acc:
    def __init__(self, definite: frozenset[str] = frozenset()):
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.definite: set[str] = set(definite)
        self.uses: set[str] = set()

    def add(self, e: Effects) -> None:
        self.reads |= e.reads - self.definite
        self.writes |= e.writes
        self.definite |= e.definite
        self.uses |= e.uses

    def effects(self) -> Effects:
        return Effects(
            frozenset(self.reads),
            frozenset(self.writes),
            frozenset(self.definite),
            frozenset(self.uses),
        )


class FlowAnalysis:
    """Effects of blocks of one file (``symbols`` from :func:`._analysis._symbols`); raises
    :class:`~._errors.NmodlError` for what cannot be lowered."""

    def __init__(self, mod: A.ModFile, symbols: Symbols):
        self.mod = mod
        self.symbols = symbols
        self._summaries: dict[str, Effects] = {}
        self._active: list[str] = []

    # --- public ----------------------------------------------------------------------------
    def block(self, body: tuple[A.Stmt, ...], phase: str) -> Effects:
        """Effects of a top-level block (``phase``: INITIAL, BREAKPOINT)."""
        acc = _Acc()
        self._body(body, set(), acc, phase, None)
        effects = acc.effects()
        self.check_specials(effects, phase)
        return effects

    def solve_effects(self, solves) -> Effects:
        """Effects of the state update: the SOLVEd blocks in order."""
        total = Effects()
        for s in solves:
            total = total.then(self.procedure(s.block))
        return total

    def procedure(self, name: str) -> Effects:
        """The summary of a PROCEDURE, FUNCTION or DERIVATIVE block."""
        if name in self._summaries:
            return self._summaries[name]
        proc = self.mod.procedures[name]
        if name in self._active:
            raise self._fail(
                proc.line, f"{proc.kind} {name}", "calls itself; recursion is not supported."
            )
        self._active.append(name)
        scope = set(proc.args)
        if proc.kind == "FUNCTION":
            scope.add(name)
        acc = _Acc()
        self._body(proc.body, scope, acc, proc.kind, proc)
        self._active.pop()
        self._summaries[name] = acc.effects()
        return self._summaries[name]

    def tainted(self, body: tuple[A.Stmt, ...], sources: frozenset[str]) -> frozenset[str]:
        """Names whose value after ``body`` may depend on ``sources`` (assigned from an
        expression that reads one, in a branch of a condition that does, or by a call whose
        arguments or module variables do); an assignment from an independent value clears a
        name again."""
        t = set(sources)
        self._taint_body(body, t, depth=0)
        return frozenset(t)

    def _taint_body(self, body, t: set[str], depth: int) -> None:
        for s in body:
            if isinstance(s, A.Assign):
                if self._taint_expr(s.value, t, depth):
                    t.add(s.target)
                else:
                    t.discard(s.target)
            elif isinstance(s, A.Local):
                t.difference_update(s.names)
            elif isinstance(s, A.CallStmt):
                self._taint_expr(s.call, t, depth)
            elif isinstance(s, A.If):
                cond = self._taint_expr(s.cond, t, depth)
                branches = []
                for part in (s.body, s.orelse):
                    sub = set(t)
                    self._taint_body(part, sub, depth)
                    branches.append(sub)
                t |= branches[0] | branches[1]
                if cond:
                    t |= _assigned_names(s.body) | _assigned_names(s.orelse)
            elif isinstance(s, A.Block):
                self._taint_body(s.body, t, depth)

    def _taint_expr(self, e, t: set[str], depth: int) -> bool:
        if isinstance(e, A.Name):
            return e.id in t
        if isinstance(e, A.Unary):
            return self._taint_expr(e.operand, t, depth)
        if isinstance(e, A.Binary):
            left = self._taint_expr(e.left, t, depth)
            return self._taint_expr(e.right, t, depth) or left
        if isinstance(e, A.Call):
            args = [self._taint_expr(a, t, depth) for a in e.args]
            proc = self.mod.procedures.get(e.func)
            if proc is None or depth > 32:
                return any(args) or (proc is not None)
            local = set(proc.args) | _local_names(proc.body)
            if proc.kind == "FUNCTION":
                local.add(proc.name)
            inner = {a for a, ta in zip(proc.args, args) if ta}
            inner |= {n for n in t if n not in local}
            self._taint_body(proc.body, inner, depth + 1)
            t |= {n for n in inner if n not in local}
            return proc.kind == "FUNCTION" and proc.name in inner
        return False

    # --- walking -----------------------------------------------------------------------------
    def _fail(self, line, construct, problem, fix=""):
        from ._errors import NmodlError

        return NmodlError(self.mod.source, line, construct, problem, fix)

    def check_specials(self, effects: Effects, phase: str) -> None:
        if "t" in effects.uses:
            raise self._fail(
                0,
                f"t (time) in {phase}",
                "dendrax does not pass the time to mechanisms yet.",
                "Drive time-dependent inputs with a stimulus instead.",
            )
        if "dt" in effects.uses and phase == "BREAKPOINT":
            raise self._fail(
                0,
                f"dt in {phase}",
                "dendrax passes the time step to the state update (the SOLVEd blocks) only.",
                "Use dt in the DERIVATIVE block or a PROCEDURE it calls.",
            )

    def _body(self, body, scope: set[str], acc: _Acc, phase: str, proc) -> None:
        scope = set(scope)
        n = len(body)
        for i, s in enumerate(body):
            self._stmt(s, scope, acc, phase, proc, last=i == n - 1)

    def _stmt(self, s, scope, acc: _Acc, phase, proc, last=False) -> None:
        line = getattr(s, "line", 0)
        if isinstance(s, A.Local):
            scope.update(s.names)
        elif isinstance(s, A.Assign):
            self._expr(s.value, scope, acc)
            self._write(s.target, scope, acc, phase, line)
        elif isinstance(s, A.DiffEq):
            if phase != "DERIVATIVE":
                raise self._fail(
                    line, f"{s.state}' = ...", f"a derivative outside a DERIVATIVE block ({phase})."
                )
            self._expr(s.value, scope, acc)
            acc.writes.add(s.state)
        elif isinstance(s, A.CallStmt):
            self._call(s.call, scope, acc, statement=True)
        elif isinstance(s, A.If):
            self._expr(s.cond, scope, acc)
            if phase == "KINETIC" and _has_kinetic(s.body + s.orelse):
                raise self._fail(
                    line,
                    "a reaction, CONSERVE or COMPARTMENT inside if/else",
                    "is not supported (the scheme's structure must not depend on a condition).",
                    "Put the condition into the rate expressions (e.g. a FUNCTION with if/else).",
                )
            before = frozenset(acc.definite)
            branches = []
            for part in (s.body, s.orelse):
                sub = _Acc(before)
                self._body(part, scope, sub, phase, proc)
                acc.reads |= sub.reads
                acc.writes |= sub.writes
                acc.uses |= sub.uses
                branches.append(sub.definite)
            acc.definite |= branches[0] & branches[1]
        elif isinstance(s, A.Block):
            self._body(s.body, scope, acc, phase, proc)
        elif isinstance(s, A.Solve):
            target = self.mod.procedures.get(s.block)
            if (
                phase == "INITIAL"
                and proc is None
                and s.steadystate is not None
                and target is not None
                and target.kind == "KINETIC"
            ):
                acc.add(self.procedure(s.block))  # SOLVE kin STEADYSTATE sparse
                return
            raise self._fail(
                line,
                f"SOLVE {s.block}",
                f"SOLVE is only supported in BREAKPOINT (found in {phase}), and as "
                "'SOLVE kin STEADYSTATE sparse' of a KINETIC block in INITIAL.",
            )
        elif isinstance(s, A.Reaction | A.Conserve | A.Compartment):
            what = {A.Reaction: "a reaction '~'", A.Conserve: "CONSERVE"}.get(
                type(s), "COMPARTMENT"
            )
            if phase != "KINETIC":
                raise self._fail(
                    line, what, f"is only allowed in a KINETIC block (found in {phase})."
                )
            if isinstance(s, A.Reaction):
                for e in (s.forward, s.backward):
                    if e is not None:
                        self._expr(e, scope, acc)
                names = [n for _, n in (*s.left, *s.right)]
            elif isinstance(s, A.Conserve):
                self._expr(s.left, scope, acc)
                self._expr(s.right, scope, acc)
                names = []
            else:
                self._expr(s.volume, scope, acc)
                names = list(s.states)
            for name in names:
                if self.symbols.kinds.get(name) != "state" and name not in self.symbols.ion_writes:
                    raise self._fail(
                        line,
                        f"{what} of {name}",
                        f"{name!r} is not a STATE.",
                        "Reactions, COMPARTMENT and CONSERVE take STATE variables; declare it in "
                        "the STATE block.",
                    )
                acc.writes.add(name)
        elif isinstance(s, A.Table):
            pass  # computed exactly (NEURON with usetable = 0)
        elif isinstance(s, A.Verbatim):
            self._verbatim(s, phase, proc, last)
        elif isinstance(s, A.Unsupported):
            raise self._fail(line, s.construct, "is not supported (yet).", _fix(s.construct))
        else:  # pragma: no cover - the parser makes no other statements
            raise self._fail(line, type(s).__name__, "is not supported.")

    def _verbatim(self, s: A.Verbatim, phase, proc, last) -> None:
        text = " ".join(s.text.split())
        if text == "":
            return
        if text in ("return 0;", "return 0.;", "return 0.0;") and last and proc is not None:
            if proc.kind in ("PROCEDURE", "FUNCTION"):
                return
        raise self._fail(
            s.line,
            "VERBATIM block",
            f"holds C code ({text[:60]!r}), which dendrax cannot run.",
            "Write it in NMODL, or remove it if it is not needed (only empty blocks and a "
            "final 'return 0;' in a PROCEDURE or FUNCTION are accepted).",
        )

    def _write(self, name, scope, acc: _Acc, phase, line) -> None:
        if name in scope:
            return
        kind = self.symbols.kinds.get(name)
        if kind == "assigned":
            acc.writes.add(name)
            acc.definite.add(name)
        elif kind == "state":
            if phase == "BREAKPOINT":
                raise self._fail(
                    line,
                    f"{name} = ...",
                    "BREAKPOINT assigns a STATE; not supported.",
                    "Change states in INITIAL or the SOLVEd block.",
                )
            acc.writes.add(name)
        elif kind == "ion" and (name in self.symbols.currents or name in self.symbols.ion_writes):
            acc.writes.add(name)
        elif kind is None:
            raise self._fail(
                line,
                f"{name} = ...",
                f"{name!r} is not declared.",
                "Declare it in ASSIGNED or as a LOCAL.",
            )
        else:
            what = {
                "parameter": "a PARAMETER",
                "constant": "a constant",
                "special": "NEURON's",
                "ion": "an ion variable the file only reads",
            }[kind]
            raise self._fail(
                line,
                f"{name} = ...",
                f"assigns {name}, which is {what}; not supported.",
                "Assign an ASSIGNED variable (or a LOCAL) instead.",
            )

    def _expr(self, e, scope, acc: _Acc) -> None:
        if isinstance(e, A.Name):
            if e.id in scope:
                return
            kind = self.symbols.kinds.get(e.id)
            if kind is None:
                construct, problem, fix = _UNDECLARED.get(
                    e.id,
                    (e.id, "is not declared.", "Declare it (PARAMETER, ASSIGNED, STATE or LOCAL)."),
                )
                raise self._fail(e.line, construct, problem, fix)
            acc.uses.add(e.id)
            if kind == "assigned" and e.id not in acc.definite:
                acc.reads.add(e.id)
        elif isinstance(e, A.Unary):
            self._expr(e.operand, scope, acc)
        elif isinstance(e, A.Binary):
            self._expr(e.left, scope, acc)
            self._expr(e.right, scope, acc)
        elif isinstance(e, A.Call):
            self._call(e, scope, acc, statement=False)
        elif isinstance(e, A.Index):
            raise self._fail(e.line, f"{e.name}[...]", "arrays (tier B) are not supported yet.")
        elif isinstance(e, A.Str):
            raise self._fail(e.line, f'"{e.value}"', "a string is only allowed in printf.")

    def _call(self, c: A.Call, scope, acc: _Acc, statement: bool) -> None:
        from ._analysis import IGNORED_CALLS, MATH_FUNCTIONS, UNSUPPORTED_CALLS

        if c.func in IGNORED_CALLS:
            return
        if c.func in UNSUPPORTED_CALLS:
            raise self._fail(
                c.line, f"{c.func}(...)", "is not supported.", UNSUPPORTED_CALLS[c.func]
            )
        for a in c.args:
            self._expr(a, scope, acc)
        proc = self.mod.procedures.get(c.func)
        if proc is None:
            if c.func not in MATH_FUNCTIONS:
                raise self._fail(
                    c.line,
                    f"{c.func}(...)",
                    f"calls an unknown function {c.func!r}.",
                    "Define it as a FUNCTION in the file (or INCLUDE the file that does).",
                )
            expected = MATH_FUNCTIONS[c.func]
        else:
            if proc.kind not in ("PROCEDURE", "FUNCTION"):
                raise self._fail(
                    c.line,
                    f"{c.func}(...)",
                    f"calls the {proc.kind} block {c.func}; only PROCEDUREs and FUNCTIONs "
                    "can be called.",
                    "SOLVE it from BREAKPOINT instead.",
                )
            if proc.kind == "PROCEDURE" and not statement:
                raise self._fail(
                    c.line, f"{c.func}(...)", "uses a PROCEDURE as a value.", "Make it a FUNCTION."
                )
            expected = len(proc.args)
            acc.add(self.procedure(c.func))
        if len(c.args) != expected:
            raise self._fail(
                c.line, f"{c.func}(...)", f"takes {expected} argument(s), got {len(c.args)}."
            )


def _has_kinetic(body) -> bool:
    for s in body:
        if isinstance(s, A.Reaction | A.Conserve | A.Compartment):
            return True
        if isinstance(s, A.If) and _has_kinetic(s.body + s.orelse):
            return True
        if isinstance(s, A.Block) and _has_kinetic(s.body):
            return True
    return False


def _local_names(body) -> set[str]:
    out: set[str] = set()
    for s in body:
        if isinstance(s, A.Local):
            out.update(s.names)
        elif isinstance(s, A.If):
            out |= _local_names(s.body) | _local_names(s.orelse)
        elif isinstance(s, A.Block):
            out |= _local_names(s.body)
    return out


def _assigned_names(body) -> set[str]:
    out: set[str] = set()
    for s in body:
        if isinstance(s, A.Assign):
            out.add(s.target)
        elif isinstance(s, A.If):
            out |= _assigned_names(s.body) | _assigned_names(s.orelse)
        elif isinstance(s, A.Block):
            out |= _assigned_names(s.body)
    return out


_UNDECLARED = {  # NEURON's names that dendrax does not provide: (construct, problem, fix)
    "diam": (
        "diam",
        "is not declared.",
        "dendrax does not pass the diameter to mechanisms yet; make it a PARAMETER.",
    ),
    "area": (
        "area",
        "is not declared.",
        "dendrax does not pass the area to density mechanisms; make it a PARAMETER.",
    ),
    "flag": (
        "flag (NET_RECEIVE's self-event flag)",
        "self-events (net_send and their flag) are not supported yet; dendrax delivers events "
        "from network connections only, whose flag is 0.",
        "The file cannot be imported as it is; for a synapse driven by connections only, make "
        "the flag == 0 branch the whole NET_RECEIVE body.",
    ),
}


def _fix(construct: str) -> str:
    if "while loop" in construct:
        return "while loops are not imported; write a FROM loop with constant bounds."
    if construct == "WATCH":
        return (
            "WATCH (threshold-triggered self-events) is not imported yet; dendrax delivers "
            "events from network connections only."
        )
    if construct == "FOR_NETCONS":
        return (
            "FOR_NETCONS (per-connection state) is not imported yet; a NET_RECEIVE block may "
            "only add weight-proportional jumps to STATEs."
        )
    if "NET_RECEIVE" in construct:
        return "Compute initial values in the file's INITIAL block instead."
    return "Rewrite it with the supported statements (docs/nmodl.md)."
