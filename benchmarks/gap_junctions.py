#!/usr/bin/env python
"""Cost per step of implicit gap junctions (the Woodbury solve of ``solve/_gap.py``) against
the number of junctions, on a network of small cells.

    python benchmarks/gap_junctions.py                       # 100 cells, 0/1/10/100 junctions
    python benchmarks/gap_junctions.py --gaps 0 1 10 100 300 1000 --plain
    python benchmarks/gap_junctions.py --solve --gaps 1 10 100 300 1000   # one linear solve

Each cell: an hh soma (1 compartment) and a passive dendrite (9 compartments), 10
compartments and 11 nodes. Junctions join random compartments of random pairs of cells,
g = 1 nS. Prints the forward time per step (jitted ``dx.simulate``, best of ``--repeats``
after a warm-up run), with ``--plain`` also without the colouring (one tree solve per
junction), and the time per step of the gradient of a loss with respect to every junction's g
and every compartment's cm (reverse mode through the run), as a markdown table
(``docs/gap_junctions.md`` holds a stored run). From 300 junctions on, runs are 5x shorter.
``--solve`` times one linear solve of a step instead, also with the alternative for many
junctions, conjugate gradients preconditioned by the tree solve (:func:`pcg`, not in dendrax).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import dendrax as dx
from dendrax.solve._cable import cable_constants
from dendrax.solve._gap import gap_current, woodbury_solve
from dendrax.solve._tree import tree_matvec


def cell() -> dx.Cell:
    bg = dx.BranchGeometry.cylinder
    c = dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(200.0, 1.0, 9, parent=0, kind="basal")])
    c.insert(dx.HH(), where=c.select(kind="soma"))
    c.insert(dx.Pas(g=1e-4, e=-65.0), where=c.select(kind="basal"))
    return c


def network(n_cells: int, n_gaps: int, seed: int = 0) -> dx.Network:
    net = dx.Network()
    net.add_cells(cell(), n_cells, "c")
    net.stimulate(dx.IClamp(1.0, 50.0, 0.3), 0, (0, 0.5))
    net.record("v", n_cells - 1, (0, 0.5), "v")
    if n_gaps:
        rng = np.random.default_rng(seed)
        a = rng.integers(0, n_cells, n_gaps)
        b = (a + rng.integers(1, n_cells, n_gaps)) % n_cells
        net.gap_junction(a, "all", b, "all", 1e-3, seed=seed)
    return net


def best(fn, repeats: int, inner: int = 1) -> float:
    """Seconds per call: the best of ``repeats`` timings of ``inner`` calls, after a warm-up."""
    jax.block_until_ready(fn())  # compile and warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            out = fn()
        jax.block_until_ready(out)
        times.append((time.perf_counter() - t0) / inner)
    return min(times)


def measure(n_cells: int, n_gaps: int, steps: int, repeats: int, grad: bool, plain: bool) -> dict:
    system = dx.compile(network(n_cells, n_gaps), dt_ms=0.025, t_stop_ms=0.025 * steps)
    run = jax.jit(dx.simulate)
    out = {"cells": n_cells, "nodes": system.n_nodes, "gaps": n_gaps, "colours": 0}
    out["forward_s"] = best(lambda: run(system).data, repeats) / steps
    if n_gaps:
        out["colours"] = int(system.gap_junctions.probe.shape[0])
        if plain:  # one tree solve per junction (no colouring)
            unplanned = eqx.tree_at(
                lambda s: (s.gap_junctions.probe, s.gap_junctions.node_cell),
                system,
                (None, None),
                is_leaf=lambda x: x is None,
            )
            out["plain_s"] = best(lambda: run(unplanned).data, repeats) / steps
    if grad:

        def loss(g, cm):
            s = eqx.tree_at(lambda s: s.cm_uF_cm2, system, cm)
            if n_gaps:
                s = eqx.tree_at(lambda s: s.gap_junctions.g_uS, s, g)
            return jnp.mean(dx.simulate(s)["v"])

        vg = jax.jit(jax.grad(loss, argnums=(0, 1)))
        g0 = system.gap_junctions.g_uS if n_gaps else jnp.zeros(0)
        out["grad_s"] = best(lambda: vg(g0, system.cm_uF_cm2), repeats) / steps
    return out


def pcg(solver, d, g_edge, rhs, parent, schedule, gaps, rtol=1e-13, max_iter=500):
    """The alternative for many junctions (not in dendrax): conjugate gradients on
    ``M = T + U G Uᵀ`` preconditioned by the tree solve ``T⁻¹`` (exact on every cell, so the
    iterations only resolve the coupling); returns ``(x, iterations)``."""

    def matvec(x):
        return tree_matvec(d, g_edge, parent, x) - gap_current(gaps, x)

    def precondition(r):
        return solver.eliminate(d, g_edge, r, parent, schedule)

    x = precondition(rhs)
    r = rhs - matvec(x)
    z = precondition(r)
    tol = rtol * jnp.linalg.norm(rhs)

    def cond(c):
        return (jnp.linalg.norm(c[1]) > tol) & (c[5] < max_iter)

    def body(c):
        x, r, z, p, rz, k = c
        ap = matvec(p)
        alpha = rz / (p @ ap)
        x, r = x + alpha * p, r - alpha * ap
        z = precondition(r)
        rz_new = r @ z
        return x, r, z, z + (rz_new / rz) * p, rz_new, k + 1

    x, *_, k = jax.lax.while_loop(cond, body, (x, r, z, z, r @ z, 0))
    return x, k


def solve_row(n_cells: int, k: int, g: float, repeats: int) -> str:
    """One table row: the times (µs) of one linear solve by each scheme."""
    system = dx.compile(network(n_cells, k), dt_ms=0.025, t_stop_ms=0.025)
    gaps = dataclasses.replace(system.gap_junctions, g_uS=jnp.full(k, g))
    plain = dataclasses.replace(gaps, probe=None, node_cell=None)
    cable = cable_constants(system)
    d = cable.diag_uS.at[: system.n_comp].add(0.01 * 3e-4 * cable.area_um2)  # + a leak
    topo, solver = system.topology, system.tree_solver
    tree = (solver, d, cable.g_edge_uS)
    rhs = jnp.asarray(np.random.default_rng(0).normal(size=system.n_nodes))

    def tree_only(r):
        return solver.eliminate(d, cable.g_edge_uS, r, topo.parent, topo.schedule)

    def woodbury(r, gj=gaps):
        return woodbury_solve(*tree, r, topo.parent, topo.schedule, gj)

    def cg(r):
        return pcg(*tree, r, topo.parent, topo.schedule, gaps)

    def us(f):
        f = jax.jit(f)
        return f"{1e6 * best(lambda: f(rhs), repeats, inner=20):.0f}"

    x_w = woodbury(rhs)
    x_c, iterations = jax.jit(cg)(rhs)
    diff = float(jnp.max(jnp.abs(x_w - x_c)) / jnp.max(jnp.abs(x_w)))
    per_junction = us(lambda r: woodbury(r, plain)) if k <= 100 else "-"
    return (
        f"| {g:g} | {k} | {gaps.probe.shape[0]} | {us(tree_only)} | {us(woodbury)} | "
        f"{per_junction} | {us(lambda r: cg(r)[0])} ({int(iterations)}) | {diff:.0e} |"
    )


def solve_table(n_cells: int, gaps: list[int], g_values: list[float], repeats: int) -> None:
    """One linear solve of a step (its matrix at rest, a random right-hand side) by the tree
    solve alone, the coloured Woodbury solve, one tree solve per junction, and the
    preconditioned CG alternative."""
    print(f"one linear solve, {n_cells} cells, {jax.devices()[0]}")
    print(
        "| g µS | junctions | colours | tree only µs | Woodbury µs | per junction µs "
        "| PCG µs (iterations) | max rel. diff |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for g in g_values:
        for k in gaps:
            print(solve_row(n_cells, k, g, repeats), flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=100)
    ap.add_argument("--gaps", type=int, nargs="+", default=[0, 1, 10, 100])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-grad", action="store_true")
    ap.add_argument("--plain", action="store_true", help="also one tree solve per junction")
    ap.add_argument("--solve", action="store_true", help="time one linear solve instead")
    ap.add_argument("--g", type=float, nargs="+", default=[1e-3, 1e-1], help="µS, --solve")
    args = ap.parse_args(argv)
    if args.solve:
        solve_table(args.cells, args.gaps, args.g, args.repeats)
        return
    rows = []
    for k in args.gaps:
        steps = args.steps if k < 300 else max(50, args.steps // 5)
        plain = args.plain and k <= 100
        rows.append(measure(args.cells, k, steps, args.repeats, not args.no_grad, plain))
        print(rows[-1], flush=True)
    base = [r for r in rows if r["gaps"] == 0]
    f0 = base[0]["forward_s"] if base else float("nan")
    g0 = base[0].get("grad_s", float("nan")) if base else float("nan")
    print(f"{args.cells} cells, {rows[0]['nodes']} nodes, dt 0.025 ms, {jax.devices()[0]}")
    print(
        "| junctions | colours | forward µs/step | x none | one solve per junction µs/step "
        "| gradient µs/step | x none |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")

    def us(r, key):
        return f"{1e6 * r[key]:.0f}" if key in r else "-"

    for r in rows:
        grad_x = f"{r['grad_s'] / g0:.1f}" if "grad_s" in r else "-"
        print(
            f"| {r['gaps']} | {r['colours']} | {us(r, 'forward_s')} | "
            f"{r['forward_s'] / f0:.1f} | {us(r, 'plain_s')} | {us(r, 'grad_s')} | {grad_x} |"
        )


if __name__ == "__main__":
    main()
