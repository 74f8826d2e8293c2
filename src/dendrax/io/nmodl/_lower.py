"""Lower an analysed NMODL file (:class:`~._analysis.Spec`) to a :class:`dendrax.Channel`
subclass whose methods execute the file's blocks on JAX arrays (:mod:`._interp`).

The blocks run where NEURON runs them (FORMAT_V2 section 7 gives the step order):

* ``init_states``: the INITIAL block, after every STATE (and carried ASSIGNED variable) is set
  to 0, as NEURON's ``state0`` defaults do; an ion concentration the file integrates starts at
  the ion's value and changes only if INITIAL assigns it;
* ``species_currents`` / ``assigned_values``: BREAKPOINT without its SOLVE statements, at the
  voltage of the start of the step; the engine takes ``di/dv`` of it exactly (a JVP; NEURON
  takes a difference quotient over 0.001 mV, the same for currents linear in ``v``);
* ``update``: the SOLVE statements in order, at the new voltage:

  - ``METHOD cnexp``: every equation ``x' = A + B x`` (:mod:`._linear`) becomes
    ``x + (1 - exp(dt B)) (-A/B - x)``, or ``x + dt A`` where ``x`` does not occur, in the
    order of the block (a later equation sees the new value of an earlier state);
  - ``METHOD derivimplicit``: backward Euler, ``x1 = x0 + dt f(x1)``, by Newton's method on
    the block's states with the exact Jacobian (one iteration where the equations are linear
    in the states, which solves them exactly);
  - ``METHOD euler``: ``x1 = x0 + dt f(x0)`` for all states at once;
  - ``METHOD sparse`` (KINETIC): NEURON's scheme (scopmath ``sparse``): the reactions give
    each state's flux ``F`` (mass action: ``kf prod x^n - kb prod x^n`` per reaction,
    ``<<`` fluxes added), COMPARTMENT volumes ``V`` weight the rows, and Newton's method
    solves ``V (x1 - x0)/dt = F(x1)`` with NEURON's matrix ``V/dt - dF/dx`` (the rate
    expressions and ``<<`` fluxes held constant in it, as the translator writes it); a
    CONSERVE replaces the equation of its last state by ``sum c V x = total``. One iteration
    where the translator finds the scheme linear (no reaction side with more than one
    molecule), otherwise iterations until the sum of |steps| is <= 1e-6 with negative states
    set to 0 after each, as NEURON does (a ``fori_loop`` of at most 12 iterations, masked per
    compartment once converged);
  - ``SOLVE proc``: the PROCEDURE's statements.

INITIAL's ``SOLVE kin STEADYSTATE sparse`` is the same solve with dt = 1e9 ms (NEURON's
``_ss_sparse``): iterated to convergence for linear schemes; for nonlinear ones up to 7
one-iteration steps, each followed by setting states below -1e-6 to 0, until one has none,
then a converged step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from ...mechanisms._base import NONSPECIFIC, Channel, Mechanism, PointMechanism
from . import _ast as A
from ._analysis import DerivativeSolve, KineticSolve, ProcedureSolve, Spec, equations
from ._interp import Evaluator, Frame, as_num, broadcast, guard, nrn_exp

_D = "D:"  # environment key of a state's derivative (merged through if/else like a variable)
SPARSE_CONVERGE = 1e-6  # NEURON's CONVERGE (scopmath errcodes.h): sum |step| of an iteration
SPARSE_ITERATIONS = 12  # at most (NEURON: 20, MAXSTEPS); converged schemes stop earlier
STEADY_DT = 1e9  # ms: NEURON's time step for STEADYSTATE sparse (_ss_sparse)
STEADY_NONLINEAR_TRIES = 7  # _ss_sparse's NIT


class _Program:
    """The executable form of one file: its evaluator and the phases as functions."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.ev = Evaluator(spec.mod.procedures)
        self.procedures = spec.mod.procedures

    def env(self, v, params: Mapping[str, Any], celsius, states=None, dt=None) -> dict:
        spec = self.spec
        env: dict[str, Any] = dict(spec.constants)
        for name in spec.parameters:
            env[name] = params[name]
        for name in spec.ion_reads:
            env[name] = params[name] if name in params else 0.0
        for name in spec.currents:
            env[name] = 0.0
        for name in spec.nonspecific:
            env[name] = 0.0
        for name in spec.module_vars:
            env.setdefault(name, 0.0)
        for name in spec.all_states:
            env[name] = 0.0 if states is None else states[name]
        env["v"] = v
        env["celsius"] = celsius
        if dt is not None:
            env["dt"] = dt
        return env

    # --- phases --------------------------------------------------------------------------------
    def initial(self, v, params, celsius) -> dict:
        env = self.env(v, params, celsius, dt=jnp.nan)  # no state depends on it (analysis)

        def steady(stmt: A.Solve, e: dict) -> None:
            self._sparse(self.spec.initial_solves[stmt.block], e, STEADY_DT, steady=True)

        self.ev.on_solve = steady
        try:
            self.ev.run(self.spec.initial, env)
        finally:
            self.ev.on_solve = None
        out = {s: broadcast(env[s], v) for s in self.spec.all_states}
        for name in self.spec.initial_ion_writes:
            out[name] = broadcast(env[name], v)
        return out

    def breakpoint(self, v, states, params, celsius) -> dict:
        env = self.env(v, params, celsius, states)
        self.ev.run(self.spec.breakpoint, env)
        return env

    def update(self, v, states, params, dt, celsius) -> dict:
        env = self.env(v, params, celsius, states, dt)
        for solve in self.spec.solves:
            if isinstance(solve, ProcedureSolve):
                self.ev.run(self.procedures[solve.block].body, env)
            elif isinstance(solve, KineticSolve):
                self._sparse(solve, env, dt)
            elif solve.method == "cnexp":
                self._cnexp(solve, env, dt)
            elif solve.method == "euler":
                self._euler(solve, env, dt)
            else:
                self._implicit(solve, env, dt)
        out = {s: broadcast(env[s], v) for s in self.spec.all_states}
        for name in self.spec.ion_writes:
            out[name] = broadcast(env[name], v)
        return out

    def net_receive(self, states, params, weight) -> dict:
        """NET_RECEIVE with ``weight`` (the summed weight of the step's events): the states
        after its jumps (the analysis checked that it only adds ``weight*c`` to STATEs)."""
        receive = self.spec.net_receive
        assert receive is not None
        like = jnp.asarray(weight) + 0.0  # one value per site
        env = self.env(like, params, jnp.nan, states)
        env[receive.weight] = weight
        self.ev.run(receive.body, env)
        return {s: broadcast(env[s], like) for s in self.spec.all_states}

    # --- methods -------------------------------------------------------------------------------
    def _cnexp(self, solve: DerivativeSolve, env: dict, dt) -> None:
        proc = self.procedures[solve.block]
        coeffs = {id(eq): solve.cnexp[i] for i, eq in enumerate(equations(proc.body))}
        ev = self.ev

        def step(eq: A.DiffEq, e: dict, frame: Frame, mask) -> None:
            a_expr, b_expr = coeffs[id(eq)]
            x = e[eq.state]
            if b_expr is None:  # x does not occur: NEURON's explicit step x - dt*(-f)
                f = as_num(ev.expr(eq.value, e, frame, mask))
                e[eq.state] = x - dt * (-f)
                return
            a = 0.0 if a_expr is None else as_num(ev.expr(a_expr, e, frame, mask))
            b = as_num(ev.expr(b_expr, e, frame, mask))
            e[eq.state] = x + (1.0 - nrn_exp(dt * b)) * (-a / guard(b, mask, 1.0) - x)

        ev.on_derivative = step
        try:
            ev.run(proc.body, env)
        finally:
            ev.on_derivative = None

    def _derivatives(self, solve: DerivativeSolve, env: dict) -> dict:
        """Run the block once, recording ``f`` of every equation (states unchanged)."""
        ev = self.ev

        def record(eq: A.DiffEq, e: dict, frame: Frame, mask) -> None:
            e[_D + eq.state] = as_num(ev.expr(eq.value, e, frame, mask))

        ev.on_derivative = record
        try:
            ev.run(self.procedures[solve.block].body, env)
        finally:
            ev.on_derivative = None
        return {s: env.pop(_D + s, 0.0) for s in solve.states}

    def _euler(self, solve: DerivativeSolve, env: dict, dt) -> None:
        d = self._derivatives(solve, env)
        for s in solve.states:
            env[s] = env[s] + dt * d[s]

    def _implicit(self, solve: DerivativeSolve, env: dict, dt) -> None:
        states = solve.states
        x0 = {s: broadcast(env[s], env["v"]) for s in states}

        def derivs(xs):
            e = dict(env)
            e.update(xs)
            d = self._derivatives(solve, e)
            return {s: broadcast(d[s], xs[s]) for s in states}

        x = x0
        for _ in range(solve.newton_iterations):
            columns = []
            d = x0
            for s in states:
                tangent = {t: (jnp.ones_like if t == s else jnp.zeros_like)(x[t]) for t in states}
                d, dd = jax.jvp(derivs, (x,), (tangent,))
                columns.append(dd)
            g = {s: x[s] - x0[s] - dt * d[s] for s in states}
            if len(states) == 1:
                (s,) = states
                x = {s: x[s] - g[s] / (1.0 - dt * columns[0][s])}
                continue
            n = len(states)
            jac = jnp.stack(
                [jnp.stack([-dt * columns[j][si] for j in range(n)], -1) for si in states], -2
            ) + jnp.eye(n)
            rhs = jnp.stack([g[s] for s in states], -1)
            delta = jnp.linalg.solve(jac, rhs[..., None])[..., 0]
            x = {s: x[s] - delta[..., i] for i, s in enumerate(states)}
        if solve.side_effects:
            e = dict(env)
            e.update(x)
            self._derivatives(solve, e)
            env.update({k: e[k] for k in solve.side_effects})
        env.update(x)

    def _kinetic(self, solve: KineticSolve, env: dict):
        """Run the KINETIC block once at the states in ``env``: its reactions with their rate
        values, the ``<<`` fluxes, the COMPARTMENT volumes and the CONSERVE totals."""
        ev = self.ev
        reactions: list = []
        fluxes: list = []
        volumes: dict = {}
        totals: list = []

        def collect(stmt, e: dict, frame: Frame, mask) -> None:
            if isinstance(stmt, A.Reaction):
                kf = as_num(ev.expr(stmt.forward, e, frame, mask))
                if stmt.kind == "<<":
                    fluxes.append((stmt.left[0][1], kf))
                    return
                kb = (
                    None
                    if stmt.backward is None
                    else as_num(ev.expr(stmt.backward, e, frame, mask))
                )
                reactions.append((stmt.left, stmt.right, kf, kb))
            elif isinstance(stmt, A.Conserve):
                totals.append(as_num(ev.expr(stmt.right, e, frame, mask)))
            else:
                vol = as_num(ev.expr(stmt.volume, e, frame, mask))
                for name in stmt.states:
                    volumes[name] = vol

        ev.on_kinetic = collect
        try:
            ev.run(self.procedures[solve.block].body, env)
        finally:
            ev.on_kinetic = None
        return reactions, fluxes, volumes, totals

    def _sparse(self, solve: KineticSolve, env: dict, dt, steady: bool = False) -> None:
        """NEURON's METHOD sparse step of a KINETIC block (module docstring), in place."""
        states = solve.states
        n = len(states)
        idx = {s: i for i, s in enumerate(states)}
        like = env["v"]
        replaced = {row: k for k, (_, row) in enumerate(solve.conserve)}

        def newton(x: dict, x0: dict, clamp: bool):
            """One iteration from ``x`` of the step from ``x0``: the new states (clamped where
            NEURON clamps) and the step."""
            e = dict(env)
            e.update(x)
            if steady:
                e["dt"] = dt
            reactions, fluxes, volumes, totals = self._kinetic(solve, e)
            vol = {s: volumes.get(s, 1.0) for s in states}
            zero = jnp.zeros_like(like)
            rhs = {s: -(1.0 / dt) * (x[s] - x0[s]) * vol[s] for s in states}
            mat = [[zero] * n for _ in range(n)]
            for s in states:
                mat[idx[s]][idx[s]] = (1.0 / dt) * vol[s] + zero
            for left, right, kf, kb in reactions:
                f, df = _mass_action(kf, left, x)
                if kb is None:
                    b, db = 0.0, {}
                else:
                    b, db = _mass_action(kb, right, x)
                net = f - b
                for sign, side in ((-1.0, left), (1.0, right)):
                    for k, s in side:
                        rhs[s] = rhs[s] + sign * k * net
                        for t, d in df.items():
                            mat[idx[s]][idx[t]] = mat[idx[s]][idx[t]] - sign * k * d
                        for t, d in db.items():
                            mat[idx[s]][idx[t]] = mat[idx[s]][idx[t]] + sign * k * d
            for s, flux in fluxes:
                rhs[s] = rhs[s] + flux
            for row, k in replaced.items():
                terms, _ = solve.conserve[k]
                total = totals[k] + zero
                mat[idx[row]] = [zero] * n
                for coef, t in terms:
                    total = total - coef * vol[t] * x[t]
                    mat[idx[row]][idx[t]] = coef * vol[t] + zero
                rhs[row] = total
            a = jnp.stack([jnp.stack(r, -1) for r in mat], -2)
            b_vec = jnp.stack([broadcast(rhs[s], like) for s in states], -1)
            delta = jnp.linalg.solve(a, b_vec[..., None])[..., 0]
            new = {s: x[s] + delta[..., i] for i, s in enumerate(states)}
            if clamp:
                new = {s: jnp.where(new[s] < 0.0, 0.0, new[s]) for s in states}
            return new, delta

        def sparse(x0: dict, linflag: bool) -> dict:
            """scopmath's sparse(): the backward-Euler step from ``x0``, one iteration where
            ``linflag``, else iterated while the previous sum of |step| exceeded CONVERGE
            (per compartment; a loop of fixed length, traced once, reverse-differentiable)
            with negative states set to 0."""
            if linflag:
                return newton(x0, x0, False)[0]

            def iteration(_, carry):
                x, active = carry
                new, delta = newton(x, x0, True)
                err = jnp.sum(jnp.abs(delta), -1)
                x = {s: jnp.where(active, new[s], x[s]) for s in states}
                return x, active & (err > SPARSE_CONVERGE)

            start = (dict(x0), jnp.ones(jnp.shape(like), bool))
            return jax.lax.fori_loop(0, SPARSE_ITERATIONS, iteration, start)[0]

        x0 = {s: broadcast(env[s], like) for s in states}
        if not steady:
            x = sparse(x0, linflag=not solve.nonlinear)
        elif not solve.nonlinear:
            x = sparse(x0, linflag=False)
        else:
            # _ss_sparse on a nonlinear scheme: up to 7 one-iteration steps; after each, states
            # below -1e-6 are set to 0, and if none was, one converged step ends it
            x, done = x0, jnp.zeros(jnp.shape(like), bool)
            for _ in range(STEADY_NONLINEAR_TRIES):
                trial = sparse(x, linflag=True)
                negative = jnp.zeros(jnp.shape(like), bool)
                for s in states:
                    negative = negative | (trial[s] < -1e-6)
                trial = {s: jnp.where(trial[s] < -1e-6, 0.0, trial[s]) for s in states}
                final = sparse(trial, linflag=False)
                x = {
                    s: jnp.where(done, x[s], jnp.where(negative, trial[s], final[s]))
                    for s in states
                }
                done = done | ~negative
        # NEURON runs the block once more at the solution: what it assigns (cai = ca[0],
        # rates) keeps those values
        e = dict(env)
        e.update(x)
        if steady:
            e["dt"] = dt
        self._kinetic(solve, e)
        if steady:
            e["dt"] = env["dt"]
        env.update(e)
        env.update(x)


def _mass_action(rate, side, x: dict):
    """``rate * prod x_s^k`` over ``side``'s ``(k, s)`` pairs, and its derivatives in each
    state with the rate held constant (NEURON's matrix entries)."""
    value = rate
    for k, s in side:
        for _ in range(k):
            value = value * x[s]
    derivs: dict[str, Any] = {}
    for j, (k, s) in enumerate(side):
        d = rate * k
        for _ in range(k - 1):
            d = d * x[s]
        for i, (k2, s2) in enumerate(side):
            if i != j:
                for _ in range(k2):
                    d = d * x[s2]
        derivs[s] = derivs.get(s, 0.0) + d
    return value, derivs


DV_MV = 0.001  # NEURON's step for di/dv: (i(v + 0.001) - i(v)) / 0.001


def _with_neuron_conductance(currents):
    """``currents(v, states, params, celsius)`` whose derivative in ``v`` is NEURON's
    difference quotient ``(i(v + 0.001) - i(v)) / 0.001`` (nrn_cur's conductance), and exact in
    everything else. The engine's JVP of the currents then gives NEURON's conductance for
    currents that are not linear in ``v`` (GHK); for ohmic ones the two agree to round-off."""

    @jax.custom_jvp
    def f(v, states, params, celsius):
        return currents(v, states, params, celsius)

    def rule(primals, tangents):
        v, states, params, celsius = primals
        tv, rest = tangents[0], tangents[1:]
        out = currents(v, states, params, celsius)
        t_out = {k: jnp.zeros_like(x) for k, x in out.items()}
        leaves = jax.tree_util.tree_leaves(rest, is_leaf=_is_zero)
        if any(not _is_zero(t) for t in leaves):
            filled = jax.tree_util.tree_map(
                lambda t, p: jnp.zeros_like(p) if _is_zero(t) else t,
                rest,
                primals[1:],
                is_leaf=_is_zero,
            )
            _, t_rest = jax.jvp(lambda *a: currents(v, *a), primals[1:], tuple(filled))
            t_out = {k: t_out[k] + t_rest[k] for k in out}
        if not _is_zero(tv):
            high = currents(v + DV_MV, states, params, celsius)
            t_out = {k: t_out[k] + (high[k] - out[k]) / DV_MV * tv for k in out}
        return out, t_out

    f.defjvp(rule, symbolic_zeros=True)
    return f


def _is_zero(t) -> bool:
    return isinstance(t, SymbolicZero)


def lower(spec: Spec) -> type[Mechanism]:
    """A new :class:`dendrax.Channel` subclass (SUFFIX) or :class:`dendrax.PointMechanism`
    subclass (POINT_PROCESS: currents in nA, NET_RECEIVE as ``on_event``) that executes
    ``spec``'s file."""
    program = _Program(spec)
    several = len(spec.nonspecific) > 1
    nonspecific_name = spec.nonspecific[0] if len(spec.nonspecific) == 1 else "i"
    assigned = spec.assigned + (spec.nonspecific if several else ())

    def init_states(self, v, params, celsius):
        return program.initial(v, params, celsius)

    def update(self, v, states, params, dt, celsius):
        return program.update(v, states, params, dt, celsius)

    def raw_currents(v, states, params, celsius):
        env = program.breakpoint(v, states, params, celsius)
        out = {ion: broadcast(env[name], v) for name, ion in spec.currents.items()}
        if spec.nonspecific:
            total = env[spec.nonspecific[0]]
            for name in spec.nonspecific[1:]:
                total = total + env[name]
            out[NONSPECIFIC] = broadcast(total, v)
        return out

    neuron_currents = _with_neuron_conductance(raw_currents)

    def species_currents(self, v, states, params, celsius):
        if jnp.result_type(v) == jnp.float32:
            return raw_currents(v, states, params, celsius)
        return neuron_currents(v, states, params, celsius)

    def current(self, v, states, params, celsius):
        parts = list(species_currents(self, v, states, params, celsius).values())
        total = jnp.zeros_like(v)
        for p in parts:
            total = total + p
        return total

    def assigned_values(self, v, states, params, celsius):
        env = program.breakpoint(v, states, params, celsius)
        return {name: broadcast(env[name], v) for name in assigned}

    namespace = {
        "__module__": "dendrax.io.nmodl",
        "__doc__": _docstring(spec),
        "name": spec.name,
        "parameters": dict(spec.parameters),
        "states": spec.all_states,
        "ion_reads": spec.ion_reads,
        "ion_writes": spec.ion_writes,
        "assigned": assigned,
        "nonspecific_current": nonspecific_name,
        "global_parameters": spec.global_parameters,
        "ion_valences": dict(spec.valences),
        "order_name": spec.order_name,
        "nmodl_source": spec.mod.source,
        "nmodl_methods": {s.block: getattr(s, "method", "PROCEDURE") for s in spec.solves},
        "init_states": init_states,
        "update": update,
        "species_currents": species_currents,
        "current": current,
        "assigned_values": assigned_values,
    }
    if not spec.point:
        return type(spec.name, (Channel,), namespace)
    # NEURON lets any NetCon weight be negative; the file cannot say whether it is a
    # conductance, so connect() does not refuse negative weights onto an imported synapse
    namespace["negative_weights"] = True
    if spec.derived and spec.all_states:  # (the states give the number of sites)

        def observe(self, states, params):
            like = jnp.zeros_like(states[spec.all_states[0]])
            env = program.breakpoint(like, states, params, jnp.nan)  # not used by these
            return {name: broadcast(env[name], like) for name in spec.derived}

        namespace["derived"] = spec.derived
        namespace["observe"] = observe
    if spec.net_receive is not None:

        def on_event(self, states, params, weight):
            return program.net_receive(states, params, weight)

        namespace["on_event"] = on_event
    return type(spec.name, (PointMechanism,), namespace)


def _docstring(spec: Spec) -> str:
    params = ", ".join(f"{k} ({u})" for k, (_, u) in spec.parameters.items()) or "none"
    lines = [
        f"``{spec.name}``: imported from the NMODL file {spec.mod.source} by dendrax.load_mod.",
        "",
        f"Parameters: {params}.",
        f"States: {', '.join(spec.all_states) or 'none'}.",
    ]
    if spec.ion_reads:
        lines.append(f"Reads: {', '.join(spec.ion_reads)}.")
    if spec.currents or spec.nonspecific:
        unit = "nA" if spec.point else "mA/cm²"
        lines.append(f"Currents: {', '.join([*spec.currents, *spec.nonspecific])} ({unit}).")
    if spec.net_receive is not None:
        lines.append(f"NET_RECEIVE({spec.net_receive.weight}): receives network events (on_event).")
    if spec.ion_writes:
        lines.append(f"Integrates: {', '.join(spec.ion_writes)} (mM).")
    return "\n".join(lines)
