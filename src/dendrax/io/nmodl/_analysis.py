"""What an NMODL file declares and how its names map onto dendrax's mechanism contract.

From a :class:`~._ast.ModFile` this builds a :class:`Spec`: the SUFFIX, the parameters (RANGE
or GLOBAL, with units and defaults), the states, the ion variables read and written
(``USEION``), the currents, the constants (``CONSTANT``, ``UNITS``, ``DEFINE``), the SOLVE plan
and which ASSIGNED variables must be carried from one step to the next (:mod:`._flow`). Every
construct dendrax does not lower is refused here with an :class:`~._errors.NmodlError` that
names the file, the line and what to do, so a file that imports is a complete mechanism.

NEURON's rules followed (NMODL documentation, and what NEURON 9's translator does):

* a PARAMETER is per-location only when listed in ``RANGE``; otherwise it is a GLOBAL;
* ``v``, ``celsius``, ``dt``, ``t`` are NEURON's, whatever a PARAMETER block says (NEURON
  ignores such defaults), and so are ion variables named in ``USEION``;
* a STATE that is an ion concentration the file writes (``USEION ca WRITE cai``) is the ion's
  concentration, integrated by the file;
* a DERIVATIVE solved without METHOD uses ``derivimplicit``;
* a KINETIC block is solved by METHOD sparse (backward Euler by Newton's method on the
  scheme's equations, one iteration where NEURON's translator finds the scheme linear: no
  reaction with more than one molecule on a side), and ``SOLVE kin STEADYSTATE sparse`` in
  INITIAL is NEURON's _ss_sparse (the same solve with dt = 1e9 ms).
"""

from __future__ import annotations

import dataclasses

from ...mechanisms._ions import SPECIES, parse_ion_variable
from . import _ast as A
from ._errors import NmodlError
from ._flow import Effects, FlowAnalysis
from ._linear import InCall, NonLinear, affine, jointly_affine, mentions
from ._units import unit_constant

SPECIAL = ("v", "celsius", "dt", "t")
MATH_FUNCTIONS = {
    "exp": 1, "log": 1, "log10": 1, "fabs": 1, "sqrt": 1, "pow": 2, "sin": 1, "cos": 1,
    "tan": 1, "asin": 1, "acos": 1, "atan": 1, "atan2": 2, "sinh": 1, "cosh": 1, "tanh": 1,
    "floor": 1, "ceil": 1, "fmod": 2, "erf": 1, "erfc": 1, "fmin": 2, "fmax": 2,
}  # fmt: skip
IGNORED_CALLS = ("printf",)  # no numerical effect
UNSUPPORTED_CALLS = {
    "net_send": "self-events (net_send) are not supported yet; dendrax delivers network "
    "events from connections only.",
    "net_event": "network events (tier C) are not supported yet.",
    "net_move": "network events (tier C) are not supported yet.",
    "scop_random": "random numbers are not supported (the simulation is deterministic).",
    "normrand": "random numbers are not supported (the simulation is deterministic).",
    "exprand": "random numbers are not supported (the simulation is deterministic).",
    "unirand": "random numbers are not supported (the simulation is deterministic).",
    "poisrand": "random numbers are not supported (the simulation is deterministic).",
    "set_seed": "random numbers are not supported (the simulation is deterministic).",
    "at_time": "at_time is not supported; give the time as a stimulus instead.",
    "state_discontinuity": "state_discontinuity is not supported; in NET_RECEIVE write the "
    "assignment 'x = x + weight*c' instead.",
}
METHODS = ("cnexp", "derivimplicit", "euler")
NEWTON_ITERATIONS = 8  # derivimplicit on equations that are not linear in the states


@dataclasses.dataclass(frozen=True)
class DerivativeSolve:
    """How one ``SOLVE block METHOD m`` is lowered: ``method`` is the method dendrax applies
    (NEURON's cnexp falls back to derivimplicit where a state occurs in a call);
    ``cnexp[i]`` the ``(A, B)`` split of the i-th equation of the block (in source order);
    ``newton_iterations`` for derivimplicit (1 where the equations are linear)."""

    block: str
    method: str
    line: int
    states: tuple[str, ...]
    cnexp: dict[int, tuple[A.Expr | None, A.Expr | None]]
    newton_iterations: int = 1
    side_effects: tuple[str, ...] = ()  # carried variables the block writes (derivimplicit)


@dataclasses.dataclass(frozen=True)
class KineticSolve:
    """``SOLVE kin METHOD sparse`` (or ``STEADYSTATE sparse`` in INITIAL) of a KINETIC block:
    ``states`` in declaration order; ``nonlinear`` as NEURON's translator decides it (a
    reaction side with more than one molecule); ``conserve[i]`` for the i-th CONSERVE of the
    block: its ``(coefficient, state)`` terms and the state whose equation it replaces."""

    block: str
    method: str
    line: int
    states: tuple[str, ...]
    nonlinear: bool
    conserve: tuple[tuple[tuple[tuple[float, str], ...], str], ...]
    side_effects: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ProcedureSolve:
    """``SOLVE proc``: the PROCEDURE runs in the state update."""

    block: str
    line: int


@dataclasses.dataclass(frozen=True)
class NetReceive:
    """A POINT_PROCESS's ``NET_RECEIVE(weight)`` block: the argument's name and the body,
    checked to be ``x = x + weight*c`` assignments to STATEs (``c`` free of the weight and of
    the states the block assigns), so that one call with the summed weight of the events of a
    step equals NEURON's one call per event."""

    weight: str
    body: tuple[A.Stmt, ...]
    line: int


@dataclasses.dataclass
class Spec:
    """A mechanism in dendrax's terms, ready for :mod:`._lower`."""

    mod: A.ModFile
    name: str
    order_name: str
    parameters: dict[str, tuple[float, str]]
    global_parameters: tuple[str, ...]
    states: tuple[str, ...]  # STATE variables that are not ion concentrations
    carried: tuple[str, ...]  # ASSIGNED variables kept from one step to the next (as states)
    ion_reads: tuple[str, ...]
    ion_writes: tuple[str, ...]
    currents: dict[str, str]  # written current -> species ("ina" -> "na")
    nonspecific: tuple[str, ...]
    valences: dict[str, int]
    assigned: tuple[str, ...]  # RANGE ASSIGNED written in BREAKPOINT: recordable
    constants: dict[str, float]
    module_vars: tuple[str, ...]  # ASSIGNED and file-level LOCAL names (default 0)
    solves: tuple[DerivativeSolve | KineticSolve | ProcedureSolve, ...]
    breakpoint: tuple[A.Stmt, ...]
    initial: tuple[A.Stmt, ...]
    initial_ion_writes: tuple[str, ...]  # concentrations INITIAL assigns
    initial_solves: dict[str, KineticSolve] = dataclasses.field(default_factory=dict)
    point: bool = False  # POINT_PROCESS: currents in nA, a dendrax.PointMechanism
    # POINT_PROCESS: RANGE variables of BREAKPOINT that depend on neither v nor celsius
    # (Exp2Syn's g = B - A): recordable with network.record_synapse (``derived``)
    derived: tuple[str, ...] = ()
    net_receive: NetReceive | None = None

    @property
    def all_states(self) -> tuple[str, ...]:
        return self.states + self.carried


def fail(mod: A.ModFile, line: int, construct: str, problem: str, fix: str = "") -> NmodlError:
    return NmodlError(mod.source, line, construct, problem, fix)


def analyse(mod: A.ModFile, order_name: str = "", carry: tuple[str, ...] | bool = ()) -> Spec:
    """The :class:`Spec` of a parsed file; ``carry``: RANGE ASSIGNED variables written in the
    state update to keep as states (recordable with NEURON's timing), True for all."""
    _check_kind(mod)
    for construct, line, fix in mod.unsupported:
        raise fail(mod, line, construct, "is not supported (yet).", fix)
    for verb in mod.verbatim:
        _check_top_verbatim(mod, verb)
    ions = _ions(mod)
    symbols = _symbols(mod, ions)
    flow = FlowAnalysis(mod, symbols)
    net_receive, net_effects = _net_receive(mod, symbols, flow)
    solves = _solves(mod, symbols, flow)
    initial_solves = _initial_solves(mod, symbols)
    effects = {
        "INITIAL": flow.block(mod.initial or (), "INITIAL"),
        "BREAKPOINT": flow.block(_without_solve(mod.breakpoint or ()), "BREAKPOINT"),
        "SOLVE": flow.solve_effects(solves),
        "NET_RECEIVE": net_effects,
    }
    flow.check_specials(effects["SOLVE"], "SOLVE")
    carried, recordable = _carried(mod, symbols, effects, carry)
    _check_initial_dt(mod, flow, symbols.states + tuple(carried) + ions.writes)
    solves = tuple(
        dataclasses.replace(
            s,
            side_effects=tuple(v for v in carried if v in flow.procedure(s.block).writes),
        )
        if isinstance(s, DerivativeSolve | KineticSolve)
        else s
        for s in solves
    )
    initial_solves = {
        k: dataclasses.replace(
            s, side_effects=tuple(v for v in carried if v in flow.procedure(s.block).writes)
        )
        for k, s in initial_solves.items()
    }
    constants = dict(symbols.constants)
    return Spec(
        mod=mod,
        name=mod.suffix,
        order_name=order_name,
        parameters=symbols.parameters,
        global_parameters=tuple(p for p in symbols.parameters if p not in mod.range_names),
        states=symbols.states,
        carried=carried,
        ion_reads=ions.reads,
        ion_writes=ions.writes,
        currents=ions.currents,
        nonspecific=tuple(n for n, _ in mod.nonspecific),
        valences=ions.valences,
        assigned=recordable,
        constants=constants,
        module_vars=symbols.module_vars,
        solves=solves,
        breakpoint=_without_solve(mod.breakpoint or ()),
        initial=mod.initial or (),
        initial_ion_writes=tuple(c for c in ions.writes if c in effects["INITIAL"].writes),
        initial_solves=initial_solves,
        point=mod.kind == "POINT_PROCESS",
        net_receive=net_receive,
        derived=tuple(
            n
            for n in recordable
            if mod.kind == "POINT_PROCESS"
            and n
            not in flow.tainted(_without_solve(mod.breakpoint or ()), frozenset({"v", "celsius"}))
        ),
    )


def _check_kind(mod: A.ModFile) -> None:
    receive = mod.procedures.get("NET_RECEIVE")
    if mod.kind == "SUFFIX":
        if receive is not None:
            raise fail(
                mod,
                receive.line,
                "NET_RECEIVE",
                f"a density mechanism (SUFFIX {mod.suffix}) cannot receive network events.",
                "Declare the mechanism as 'POINT_PROCESS name' to make it a synapse.",
            )
        return
    if mod.kind == "ARTIFICIAL_CELL":
        raise fail(
            mod,
            mod.suffix_line,
            f"{mod.kind} {mod.suffix}",
            "artificial cells are not imported yet.",
            "Use dendrax's event sources (docs/networks.md) or a cell with a spike detector.",
        )
    if mod.kind == "POINT_PROCESS":
        for u in mod.useions:
            raise fail(
                mod,
                u.line,
                f"USEION {u.ion} in POINT_PROCESS {mod.suffix}",
                "ion currents and ion variables of point processes are not imported yet.",
                "Write the current as NONSPECIFIC_CURRENT (nA) and give reversal potentials "
                "as PARAMETERs.",
            )
        if not mod.nonspecific and receive is None:
            raise fail(
                mod,
                mod.suffix_line,
                f"{mod.kind} {mod.suffix}",
                "has neither a NONSPECIFIC_CURRENT nor a NET_RECEIVE block, so it would not "
                "act on the cell; dendrax imports point processes that pass a current (nA) "
                "or receive network events.",
                "Add the point process's current (NONSPECIFIC_CURRENT i, assigned in "
                "BREAKPOINT) or its NET_RECEIVE block.",
            )
        return
    raise fail(mod, 0, "NEURON block", "has no SUFFIX.", "Add 'SUFFIX name' to the NEURON block.")


def _net_receive(mod: A.ModFile, symbols: Symbols, flow: FlowAnalysis):
    """The checked :class:`NetReceive` of a POINT_PROCESS (None without NET_RECEIVE) and the
    block's effects (what it reads: e.g. Exp2Syn's ``factor`` from INITIAL, kept as a state)."""
    from ._flow import Effects, _Acc

    proc = mod.procedures.get("NET_RECEIVE")
    if proc is None:
        return None, Effects()
    what = f"NET_RECEIVE({', '.join(proc.args)})"
    if len(proc.args) != 1:
        raise fail(
            mod,
            proc.line,
            what,
            "dendrax's connections carry one weight per event (NEURON's NetCon.weight[0]); "
            f"{'no argument' if not proc.args else 'further arguments'} cannot be passed.",
            "Give NET_RECEIVE exactly one argument, the weight; make other per-connection "
            "values PARAMETERs of the synapse (set per synapse with network.place or "
            "connect's params=).",
        )
    weight = proc.args[0]
    acc = _Acc()
    flow._body(proc.body, {weight}, acc, "NET_RECEIVE", proc)
    effects = acc.effects()
    for special in ("v", "t", "dt", "celsius"):
        if special in effects.uses:
            raise fail(
                mod,
                proc.line,
                f"{special} in NET_RECEIVE",
                "dendrax's event handler sees the states, parameters and weight only.",
                "Compute the value in INITIAL or the SOLVEd block (an ASSIGNED variable) and "
                "read that.",
            )
    assigned = {s.target for s in proc.body if isinstance(s, A.Assign)}
    linear_fix = (
        "dendrax applies NET_RECEIVE once per time step to the summed weight of the events "
        "that arrive in it, which equals NEURON's one call per event only for assignments "
        "'x = x + weight*c' to STATEs, with c free of the weight and of the states the block "
        "assigns; write the block in that form."
    )
    for s in proc.body:
        line = getattr(s, "line", proc.line)
        if not isinstance(s, A.Assign) or symbols.kinds.get(s.target) != "state":
            raise fail(
                mod,
                line,
                f"{_describe(s)} in NET_RECEIVE",
                "is not supported: the block may only add weight-proportional jumps to STATEs.",
                linear_fix,
            )
        try:
            a, b = affine(s.value, weight)
        except (InCall, NonLinear):
            a, b = None, None
        if (
            b is None
            or not (isinstance(a, A.Name) and a.id == s.target)
            or mentions(b, assigned)
            or _calls_user(mod, b)
        ):
            raise fail(
                mod,
                line,
                f"{s.target} = ... in NET_RECEIVE",
                "is not of the form 'x = x + weight*c'.",
                linear_fix,
            )
    return NetReceive(weight, proc.body, proc.line), effects


def _describe(s) -> str:
    if isinstance(s, A.Assign):
        return f"{s.target} = ..."
    if isinstance(s, A.CallStmt):
        return f"{s.call.func}(...)"
    if isinstance(s, A.If):
        return "if/else"
    if isinstance(s, A.Local):
        return "LOCAL"
    return type(s).__name__


def _calls_user(mod: A.ModFile, e) -> bool:
    """Whether ``e`` calls a FUNCTION of the file (which could read the assigned states)."""
    if isinstance(e, A.Call):
        return e.func in mod.procedures or any(_calls_user(mod, x) for x in e.args)
    if isinstance(e, A.Unary):
        return _calls_user(mod, e.operand)
    if isinstance(e, A.Binary):
        return _calls_user(mod, e.left) or _calls_user(mod, e.right)
    return False


def _check_top_verbatim(mod: A.ModFile, verb: A.Verbatim) -> None:
    code = [
        ln.strip()
        for ln in verb.text.splitlines()
        if ln.strip() and not ln.strip().startswith(("#include", "//", "/*", "*"))
    ]
    if code:
        raise fail(
            mod,
            verb.line,
            "VERBATIM block",
            "holds C code, which dendrax cannot run.",
            "Write it in NMODL (a FUNCTION or PROCEDURE), or remove it if it is not needed.",
        )


def _without_solve(body: tuple[A.Stmt, ...]) -> tuple[A.Stmt, ...]:
    return tuple(s for s in body if not isinstance(s, A.Solve))


@dataclasses.dataclass
class _Ions:
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    currents: dict[str, str]
    names: dict[str, str]  # every USEION variable -> its ion
    valences: dict[str, int]


def _ions(mod: A.ModFile) -> _Ions:
    reads: list[str] = []
    writes: list[str] = []
    currents: dict[str, str] = {}
    names: dict[str, str] = {}
    valences: dict[str, int] = {}
    for u in mod.useions:
        known = SPECIES.get(u.ion)
        if u.valence is not None:
            if known is not None and known.valence != u.valence:
                raise fail(
                    mod,
                    u.line,
                    f"USEION {u.ion} VALENCE {u.valence:g}",
                    f"contradicts the valence {known.valence} of {u.ion}.",
                    "Remove VALENCE or name the ion differently.",
                )
            if known is None:
                if u.valence != int(u.valence):
                    raise fail(mod, u.line, f"USEION {u.ion}", "has a non-integer VALENCE.")
                valences[u.ion] = int(u.valence)
        elif known is None:
            raise fail(
                mod,
                u.line,
                f"USEION {u.ion}",
                f"{u.ion} is not na, k or ca and has no VALENCE.",
                f"Add 'VALENCE z' to the USEION {u.ion} statement.",
            )
        for var, is_write in [(r, False) for r in u.read] + [(w, True) for w in u.write]:
            try:
                ion, kind = parse_ion_variable(var, {u.ion: None})
            except ValueError:
                ion, kind = "", ""
            if ion != u.ion:
                raise fail(
                    mod,
                    u.line,
                    f"USEION {u.ion} ... {var}",
                    f"{var!r} is not a variable of the ion {u.ion}.",
                    f"Use e{u.ion}, {u.ion}i, {u.ion}o or i{u.ion}.",
                )
            names[var] = u.ion
            if not is_write:
                if var not in reads:
                    reads.append(var)
            elif kind == "current":
                currents[var] = u.ion
            elif kind in ("conc_in", "conc_out"):
                writes.append(var)
                if var not in reads:
                    reads.append(var)
            else:
                raise fail(
                    mod,
                    u.line,
                    f"USEION {u.ion} WRITE {var}",
                    "writes a reversal potential, which dendrax computes from the ion's "
                    "concentrations or keeps fixed.",
                    "Remove it from WRITE (set the potential with Cell.set_ion).",
                )
    for var in currents:
        if var in reads:
            raise fail(
                mod,
                0,
                f"USEION READ {var} WRITE {var}",
                "reads and writes the same current; not supported yet.",
                "Read the current under another name or split the mechanism.",
            )
    return _Ions(tuple(reads), tuple(writes), currents, names, valences)


@dataclasses.dataclass
class Symbols:
    """Every module-level name of a file and what it is."""

    kinds: dict[str, str]  # name -> parameter | state | assigned | ion | constant | special
    parameters: dict[str, tuple[float, str]]
    states: tuple[str, ...]
    module_vars: tuple[str, ...]
    constants: dict[str, float]
    ion_names: dict[str, str]
    currents: dict[str, str]
    ion_writes: tuple[str, ...]
    procedures: dict[str, A.Procedure]


def _symbols(mod: A.ModFile, ions: _Ions) -> Symbols:
    kinds: dict[str, str] = {n: "special" for n in SPECIAL}
    kinds.update({n: "ion" for n in ions.names})
    parameters: dict[str, tuple[float, str]] = {}
    states: list[str] = []
    module_vars: list[str] = []
    constants: dict[str, float] = {"PI": 3.141592653589793}
    kinds["PI"] = "constant"

    def declare(decl: A.Declaration, block: str) -> bool:
        if decl.array is not None:
            raise fail(
                mod,
                decl.line,
                f"array {decl.name}[{decl.array}] in {block}",
                "arrays (tier B) are not supported yet.",
                "Write the elements as separate variables.",
            )
        return decl.name not in SPECIAL and decl.name not in ions.names

    for name, constant, target, line in mod.unit_constants:
        value = unit_constant(constant, target)
        if value is None:
            raise fail(
                mod,
                line,
                f"UNITS {name} = ({constant}) ({target})",
                "is a unit constant dendrax does not know.",
                f"Declare it with its value instead: CONSTANT {{ {name} = <value> ({target}) }}.",
            )
        constants[name] = value
        kinds[name] = "constant"
    for name, value, _line in mod.unit_numbers:
        constants[name] = float(value)
        kinds[name] = "constant"
    for name, value, _line in mod.defines:
        constants[name] = float(value)
        kinds[name] = "constant"
    for decl in mod.constants:
        if declare(decl, "CONSTANT"):
            constants[decl.name] = float(decl.value or 0.0)
            kinds[decl.name] = "constant"
    for decl in mod.parameters:
        if declare(decl, "PARAMETER"):
            parameters[decl.name] = (float(decl.value or 0.0), decl.unit or "1")
            kinds[decl.name] = "parameter"
    for decl in mod.states:
        if decl.array is not None:
            declare(decl, "STATE")
        if decl.name in ions.names:
            if decl.name not in ions.writes:
                raise fail(
                    mod,
                    decl.line,
                    f"STATE {decl.name}",
                    "is an ion variable the file does not write.",
                    f"Add WRITE {decl.name} to its USEION statement, or rename the state.",
                )
            continue
        if decl.name in SPECIAL:
            raise fail(mod, decl.line, f"STATE {decl.name}", "is a name NEURON reserves.")
        states.append(decl.name)
        kinds[decl.name] = "state"
    for decl in mod.assigned:
        if declare(decl, "ASSIGNED") and decl.name not in kinds:
            module_vars.append(decl.name)
            kinds[decl.name] = "assigned"
    for name, _line in mod.top_locals:
        if name not in kinds:
            module_vars.append(name)
            kinds[name] = "assigned"
    for name, line in mod.nonspecific:
        if kinds.get(name) != "assigned":
            raise fail(
                mod,
                line,
                f"NONSPECIFIC_CURRENT {name}",
                "is not declared in ASSIGNED.",
                f"Add '{name} (mA/cm2)' to the ASSIGNED block.",
            )
    for name in ions.currents:
        kinds[name] = "ion"
    return Symbols(
        kinds,
        parameters,
        tuple(states),
        tuple(module_vars),
        constants,
        ions.names,
        ions.currents,
        ions.writes,
        mod.procedures,
    )


def _solves(mod: A.ModFile, symbols: Symbols, flow: FlowAnalysis):
    plan: list[DerivativeSolve | KineticSolve | ProcedureSolve] = []
    for stmt in mod.breakpoint or ():
        if not isinstance(stmt, A.Solve):
            continue
        proc = mod.procedures.get(stmt.block)
        what = f"SOLVE {stmt.block}"
        if proc is None:
            raise fail(mod, stmt.line, what, f"names no block called {stmt.block!r}.")
        if stmt.steadystate is not None:
            raise fail(
                mod,
                stmt.line,
                f"{what} STEADYSTATE {stmt.steadystate}",
                "steady-state solves (tier B) are not supported yet.",
                "Compute the initial state in INITIAL instead.",
            )
        if proc.kind == "PROCEDURE":
            if stmt.method is not None:
                raise fail(
                    mod, stmt.line, f"{what} METHOD {stmt.method}", "a PROCEDURE takes no METHOD."
                )
            plan.append(ProcedureSolve(stmt.block, stmt.line))
            continue
        if proc.kind == "KINETIC":
            if stmt.method != "sparse":
                raise fail(
                    mod,
                    stmt.line,
                    f"{what} METHOD {stmt.method}" if stmt.method else what,
                    "a KINETIC block is solved by METHOD sparse in dendrax (NEURON's backward "
                    "Euler for kinetic schemes).",
                    "Write 'SOLVE " + stmt.block + " METHOD sparse'.",
                )
            plan.append(_kinetic_solve(mod, symbols, proc, stmt.line))
            continue
        if proc.kind != "DERIVATIVE":
            raise fail(mod, stmt.line, what, f"cannot SOLVE a {proc.kind}.")
        method = stmt.method or "derivimplicit"
        if method not in METHODS:
            raise fail(
                mod,
                stmt.line,
                f"{what} METHOD {method}",
                f"the method {method!r} is not supported.",
                f"Use one of {', '.join(METHODS)}.",
            )
        plan.append(_derivative_solve(mod, symbols, flow, proc, method, stmt.line))
    return tuple(plan)


def equations(body) -> list[A.DiffEq]:
    out: list[A.DiffEq] = []
    for s in body:
        if isinstance(s, A.DiffEq):
            out.append(s)
        elif isinstance(s, A.If):
            out += equations(s.body) + equations(s.orelse)
        elif isinstance(s, A.Block):
            out += equations(s.body)
    return out


def _derivative_solve(mod, symbols: Symbols, flow, proc: A.Procedure, method: str, line: int):
    for s in _kinetic_statements(proc.body):
        if isinstance(s, A.Reaction | A.Conserve | A.Compartment):
            raise fail(
                mod,
                s.line,
                "a reaction '~', CONSERVE or COMPARTMENT",
                f"is only allowed in a KINETIC block (found in DERIVATIVE block '{proc.name}').",
                "Make the block a KINETIC block solved by METHOD sparse.",
            )
    eqs = equations(proc.body)
    if not eqs:
        raise fail(mod, proc.line, f"DERIVATIVE block '{proc.name}'", "has no equations x' = ...")
    states = []
    for eq in eqs:
        if symbols.kinds.get(eq.state) != "state" and eq.state not in symbols.ion_writes:
            raise fail(
                mod,
                eq.line,
                f"{eq.state}' = ...",
                f"{eq.state!r} is not a STATE.",
                "Declare it in the STATE block.",
            )
        if eq.state not in states:
            states.append(eq.state)
    cnexp: dict[int, tuple] = {}
    if method == "cnexp":
        try:
            for i, eq in enumerate(eqs):
                cnexp[i] = affine(eq.value, eq.state)
        except InCall:
            method, cnexp = "derivimplicit", {}  # as NEURON: "using derivimplicit"
        except NonLinear as e:
            raise fail(
                mod,
                eq.line,
                f"{eq.state}' = ... (METHOD cnexp)",
                f"is not linear in {eq.state} ({e.why}); NEURON's cnexp step is only "
                "correct for equations linear in their state.",
                "Use METHOD derivimplicit for this block.",
            ) from None
    iterations = 1
    if method == "derivimplicit":
        linear = all(jointly_affine(eq.value, frozenset(states)) for eq in eqs)
        tainted = flow.tainted(proc.body, frozenset(states)) - set(states)
        if not linear or any(mentions(eq.value, tainted) for eq in eqs):
            iterations = NEWTON_ITERATIONS
    return DerivativeSolve(proc.name, method, line, tuple(states), cnexp, iterations)


def _initial_solves(mod: A.ModFile, symbols: Symbols) -> dict[str, KineticSolve]:
    """``SOLVE kin STEADYSTATE sparse`` statements of INITIAL (at its top level)."""
    out: dict[str, KineticSolve] = {}

    def nested(body, top: bool) -> None:
        for s in body:
            if isinstance(s, A.Solve) and not top:
                raise fail(
                    mod,
                    s.line,
                    f"SOLVE {s.block}",
                    "a SOLVE inside if/else or a nested block of INITIAL is not supported.",
                    "Move it to the top level of INITIAL.",
                )
            if isinstance(s, A.If):
                nested(s.body, False)
                nested(s.orelse, False)
            elif isinstance(s, A.Block):
                nested(s.body, False)

    nested(mod.initial or (), True)
    for stmt in mod.initial or ():
        if not isinstance(stmt, A.Solve):
            continue
        proc = mod.procedures.get(stmt.block)
        what = f"SOLVE {stmt.block}"
        if proc is None:
            raise fail(mod, stmt.line, what, f"names no block called {stmt.block!r}.")
        if proc.kind != "KINETIC" or stmt.steadystate != "sparse":
            raise fail(
                mod,
                stmt.line,
                what,
                "INITIAL supports only 'SOLVE kin STEADYSTATE sparse' of a KINETIC block.",
                "Compute the initial state with assignments instead.",
            )
        ks = _kinetic_solve(mod, symbols, proc, stmt.line)
        out[stmt.block] = ks
    return out


def _kinetic_solve(mod: A.ModFile, symbols: Symbols, proc: A.Procedure, line: int):
    """The :class:`KineticSolve` of a KINETIC block (the flow analysis has checked that
    reactions, COMPARTMENT and CONSERVE name STATEs and occur only in KINETIC blocks)."""
    used: set[str] = set()
    nonlinear = False
    conserves: list[A.Conserve] = []
    for s in _kinetic_statements(proc.body):
        if isinstance(s, A.Unsupported):
            from ._flow import _fix

            raise fail(mod, s.line, s.construct, "is not supported (yet).", _fix(s.construct))
        if isinstance(s, A.DiffEq):
            raise fail(
                mod,
                s.line,
                f"{s.state}' = ... in KINETIC block '{proc.name}'",
                "an ODE inside a kinetic scheme is not supported yet.",
                "Write it as a flux reaction: ~ x << (expression).",
            )
        if isinstance(s, A.Reaction):
            if s.kind == "<<" and (len(s.left) != 1 or s.left[0][0] != 1):
                raise fail(
                    mod,
                    s.line,
                    "a flux reaction '~ x << (flux)'",
                    "takes exactly one state on the left.",
                    "Write one flux statement per state.",
                )
            used.update(n for _, n in (*s.left, *s.right))
            if s.kind != "<<" and any(sum(k for k, _ in side) > 1 for side in (s.left, s.right)):
                nonlinear = True
        elif isinstance(s, A.Conserve):
            conserves.append(s)
    if not used:
        raise fail(mod, proc.line, f"KINETIC block '{proc.name}'", "has no reactions '~'.")
    declared = [d.name for d in mod.states]
    states = tuple(n for n in declared if n in used)
    replaced: list[str] = []
    conserve = []
    for c in conserves:
        terms = _conserve_terms(mod, c, c.left)
        for _, name in terms:
            if name not in used:
                raise fail(
                    mod,
                    c.line,
                    "CONSERVE",
                    f"{name!r} takes part in no reaction of KINETIC block '{proc.name}'.",
                )
        free = [n for _, n in terms if n not in replaced]
        if not free:
            raise fail(
                mod, c.line, "CONSERVE", "every state of it is already in an earlier CONSERVE."
            )
        replaced.append(free[-1])
        conserve.append((terms, free[-1]))
    return KineticSolve(proc.name, "sparse", line, states, nonlinear, tuple(conserve))


def _kinetic_statements(body):
    for s in body:
        yield s
        if isinstance(s, A.If):
            yield from _kinetic_statements(s.body + s.orelse)
        elif isinstance(s, A.Block):
            yield from _kinetic_statements(s.body)


def _conserve_terms(mod: A.ModFile, c: A.Conserve, e) -> tuple[tuple[float, str], ...]:
    """The ``(coefficient, state)`` terms of CONSERVE's left side: a sum of states, each
    optionally multiplied by a number."""
    if isinstance(e, A.Binary) and e.op == "+":
        return _conserve_terms(mod, c, e.left) + _conserve_terms(mod, c, e.right)
    if isinstance(e, A.Name):
        return ((1.0, e.id),)
    if isinstance(e, A.Binary) and e.op == "*":
        if isinstance(e.left, A.Num) and isinstance(e.right, A.Name):
            return ((e.left.value, e.right.id),)
        if isinstance(e.right, A.Num) and isinstance(e.left, A.Name):
            return ((e.right.value, e.left.id),)
    raise fail(
        mod,
        c.line,
        "CONSERVE",
        "its left side must be a sum of states, each optionally times a number "
        "(e.g. 'CONSERVE c1 + c2 + 2*o = 1').",
    )


def _check_initial_dt(mod: A.ModFile, flow: FlowAnalysis, kept: tuple[str, ...]) -> None:
    """INITIAL may compute values from dt (an older file's ``rates()`` computes
    ``1 - exp(-dt/tau)`` for its state update) as long as no state depends on them: dendrax's
    INITIAL runs without a time step (dt is NaN there)."""
    if not mod.initial:
        return
    bad = sorted(flow.tainted(mod.initial, frozenset({"dt"})) & set(kept))
    if bad:
        raise fail(
            mod,
            mod.initial_line,
            "INITIAL",
            f"computes {', '.join(bad)} from dt; dendrax initialises without a time step.",
            "Compute the initial value without dt (the state update may use it).",
        )


def _carried(mod, symbols: Symbols, effects: dict[str, Effects], carry):
    """ASSIGNED variables that must be states, and the recordable ones (RANGE, written in
    BREAKPOINT)."""
    candidates = set(symbols.module_vars)
    written_update = effects["INITIAL"].writes | effects["SOLVE"].writes
    written_bp = effects["BREAKPOINT"].writes
    for var in sorted(effects["SOLVE"].reads & written_bp & candidates):
        raise fail(
            mod,
            0,
            f"{var} (written in BREAKPOINT, read in the state update)",
            "a value of BREAKPOINT used by the SOLVEd block is not supported yet.",
            "Compute it in the DERIVATIVE block (or in a PROCEDURE called from both).",
        )
    for var in sorted(effects["BREAKPOINT"].reads & written_bp & candidates):
        raise fail(
            mod,
            0,
            f"{var} (read in BREAKPOINT before it is written there)",
            "is not supported (NEURON evaluates BREAKPOINT twice per step, so the value "
            "would depend on that).",
            "Assign it before its first use in BREAKPOINT.",
        )
    read_before = (
        effects["INITIAL"].reads
        | effects["BREAKPOINT"].reads
        | effects["SOLVE"].reads
        | effects["NET_RECEIVE"].reads
    )
    for var in sorted(effects["NET_RECEIVE"].reads & candidates - written_update):
        raise fail(
            mod,
            0,
            f"{var} (read in NET_RECEIVE)",
            "is not computed by INITIAL or the state update, so the event handler cannot see it.",
            "Compute it in INITIAL (as Exp2Syn's peak factor) or the SOLVEd block.",
        )
    carried = [v for v in symbols.module_vars if v in read_before and v in written_update]
    ranged = [v for v in symbols.module_vars if v in mod.range_names]
    if carry is True:
        carry = tuple(v for v in ranged if v in written_update and v not in written_bp)
    for name in carry:
        if name not in ranged or name not in written_update:
            raise ValueError(
                f"load_mod(carry=...): {name!r} is not a RANGE ASSIGNED variable that the "
                f"state update or INITIAL of {mod.source} writes; such variables are "
                f"{sorted(v for v in ranged if v in written_update)}."
            )
        if name not in carried:
            carried.append(name)
    currents = set(symbols.currents) | {n for n, _ in mod.nonspecific}
    recordable = tuple(v for v in ranged if v in written_bp and v not in currents)
    return tuple(carried), recordable
