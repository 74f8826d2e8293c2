"""Gap junctions (``dx.Network.gap_junction``, ``solve/_gap.py``): solved implicitly with the
cable equation by a Woodbury correction of the tree solve.

- against a dense NumPy implicit solve of the same linearised step, assembled by hand: passive
  cables over whole runs (backward Euler and Crank-Nicolson), and hh branched cells (with
  zero-area junction nodes) for one step from a spiking state;
- the coloured plan (one tree solve per colour) against one tree solve per junction;
- conservation: the current leaving end a enters end b; a junction within one cell, within one
  compartment, with g = 0, with the ends swapped, and a stiff one (far beyond explicit
  stability);
- transformations: grad w.r.t. g (and cm) against central differences, vmap over g against a
  loop, jit, float32;
- the description: vectorised calls, broadcasting, locations, regions, errors.

NEURON comparisons: tests/validation/test_gap_cases.py.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax.solve._cable import axial_currents, cable_constants, cable_solve
from dendrax.solve._currents import membrane_currents
from dendrax.solve._gap import gap_current, woodbury_solve

DT = 0.025


# --- passive cables against a dense NumPy solve over whole runs ------------------------------

# (length µm, diam µm, ncomp, Ra Ω·cm, cm µF/cm², g_pas S/cm², e_pas mV)
CABLES = [
    (120.0, 2.0, 4, 100.0, 1.0, 2e-4, -60.0),
    (80.0, 1.5, 3, 150.0, 0.8, 1e-4, -70.0),
    (60.0, 3.0, 5, 80.0, 1.2, 3e-4, -65.0),
]
# (cell a, comp a, cell b, comp b, g µS): between cells, within one cell, a loop through all
# three cells, two junctions on one compartment, and both ends in one compartment
JUNCTIONS = [
    (0, 3, 1, 0, 0.01),
    (1, 2, 2, 1, 0.002),
    (0, 0, 0, 2, 0.005),
    (2, 4, 0, 3, 0.001),
    (2, 2, 2, 2, 1.0),
]
STIM = (0, 1, 1.0, 3.0, 0.2)  # cell, comp, delay ms, dur ms, amp nA


def cable_cell(length, diam, n, ra, cm, g, e) -> dx.Cell:
    cell = dx.Cell([dx.BranchGeometry.cylinder(length, diam, n, kind="soma")])
    cell.set_cable(Ra_ohm_cm=ra, cm_uF_cm2=cm)
    return cell.insert(dx.Pas(g=g, e=e))


def at(comp: int, n: int) -> tuple[int, float]:
    return (0, (comp + 0.5) / n)


def passive_network(junctions=JUNCTIONS) -> dx.Network:
    net = dx.Network()
    for k, c in enumerate(CABLES):
        net.add_cell(cable_cell(*c), name=f"c{k}")
        for j in range(c[2]):
            net.record("v", k, at(j, c[2]), f"c{k}_{j}")
    cell, comp, delay, dur, amp = STIM
    net.stimulate(dx.IClamp(delay, dur, amp), cell, at(comp, CABLES[cell][2]))
    for ca, ja, cb, jb, g in junctions:
        net.gap_junction(ca, at(ja, CABLES[ca][2]), cb, at(jb, CABLES[cb][2]), g)
    return net


def dense_passive_run(n_steps: int, method, junctions=JUNCTIONS) -> np.ndarray:
    """Every compartment's voltage (n_steps + 1, n): the linearised implicit step with the
    full matrix assembled by hand from the geometry (units as solve._cable)."""
    offsets = np.cumsum([0] + [c[2] for c in CABLES])
    n = int(offsets[-1])
    cap, g_mem, e_mem = np.zeros(n), np.zeros(n), np.zeros(n)
    laplacian = np.zeros((n, n))  # axial and junction conductances (µS)

    def couple(i, j, g):
        laplacian[i, i] += g
        laplacian[j, j] += g
        laplacian[i, j] -= g
        laplacian[j, i] -= g

    for k, (length, diam, nc, ra, cm, g, e) in enumerate(CABLES):
        h = length / nc
        area = np.pi * diam * h  # µm²
        s = slice(offsets[k], offsets[k + 1])
        cap[s] = 1e-5 * cm * area  # nF
        g_mem[s] = 0.01 * g * area  # µS
        e_mem[s] = e
        g_axial = 1.0 / (0.01 * ra * h / (np.pi * diam**2 / 4))  # µS, centre to centre
        for j in range(nc - 1):
            couple(offsets[k] + j, offsets[k] + j + 1, g_axial)
    for ca, ja, cb, jb, g in junctions:
        couple(offsets[ca] + ja, offsets[cb] + jb, g)
    dt_eff = DT * method.dt_factor
    matrix = np.diag(cap / dt_eff + g_mem) + laplacian
    cell, comp, delay, dur, amp = STIM
    v = np.full(n, -65.0)
    out = [v.copy()]
    for step in range(n_steps):
        t_mid = (step + 0.5) * DT
        rhs = -laplacian @ v - g_mem * (v - e_mem)
        if delay <= t_mid < delay + dur:
            rhs[offsets[cell] + comp] += amp
        v = v + method.extrapolation * np.linalg.solve(matrix, rhs)
        out.append(v.copy())
    return np.asarray(out)


@pytest.mark.parametrize("method", [dx.BackwardEuler(), dx.CrankNicolson()], ids=["be", "cn"])
def test_passive_run_matches_a_dense_numpy_solve(method):
    system = dx.compile(passive_network(), dt_ms=DT, t_stop_ms=5.0, method=method)
    result = dx.simulate(system)
    ref = dense_passive_run(system.n_steps, method)
    keys = [f"c{k}_{j}" for k, c in enumerate(CABLES) for j in range(c[2])]
    got = np.stack([np.asarray(result[k]) for k in keys], axis=1)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)
    # the junctions matter: without them the traces differ by far more than round-off
    assert np.max(np.abs(ref - dense_passive_run(system.n_steps, method, []))) > 0.1


# --- hh branched cells (junction nodes), one step against a dense solve ----------------------


def branched_hh() -> dx.Cell:
    bg = dx.BranchGeometry.cylinder
    cell = dx.Cell(
        [
            bg(20.0, 20.0, 1, kind="soma"),
            bg(150.0, 1.5, 5, parent=0, kind="apical"),
            bg(100.0, 1.0, 4, parent=0, kind="apical"),
            bg(80.0, 1.2, 3, parent=0, parent_x=0.0, kind="basal"),
            bg(60.0, 0.8, 3, parent=1, kind="apical"),
        ]
    )
    cell.set_cable(Ra_ohm_cm=120.0)
    return cell.insert(dx.HH())


def hh_network(n_cells=3, g=0.003, n_random=12, seed=1) -> dx.Network:
    net = dx.Network()
    net.add_cells(branched_hh(), n_cells, "b")
    net.stimulate(dx.IClamp(0.5, 5.0, 0.8), 0, (0, 0.5))
    net.record("v", 0, (0, 0.5), "v0")
    net.record("v", 1, (1, 0.9), "v1")
    net.gap_junction(0, (1, 0.9), 1, (2, 0.625), g)  # between cells
    net.gap_junction(0, (0, 0.5), 0, (4, 0.5), g)  # within cell 0 (a loop)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n_cells, n_random), rng.integers(0, n_cells, n_random)
    net.gap_junction(a, "all", b, "all", lambda rng, n: rng.uniform(0, 2 * g, n), seed=seed)
    return net


def dense_step(system, cable, v, i_nA, g_uS, stim_nA) -> np.ndarray:
    """One linearised step with the dense matrix: the System's tree matrix plus the junctions
    added entry by entry."""
    nc = system.n_comp
    parent = np.asarray(system.topology.parent)
    g_edge = np.asarray(cable.g_edge_uS)
    diag = np.asarray(cable.diag_uS).copy()
    diag[:nc] += np.asarray(g_uS)
    matrix = np.diag(diag)
    for i in np.flatnonzero(parent >= 0):
        matrix[i, parent[i]] -= g_edge[i]
        matrix[parent[i], i] -= g_edge[i]
    v = np.asarray(v)
    rhs = np.array(axial_currents(system, cable, jnp.asarray(v)))
    rhs[:nc] -= np.asarray(i_nA)
    np.add.at(rhs, np.asarray(system.stimuli.compartment), np.asarray(stim_nA))
    gaps = system.gap_junctions
    for a, b, g in zip(np.asarray(gaps.node_a), np.asarray(gaps.node_b), np.asarray(gaps.g_uS)):
        rhs[a] += g * (v[b] - v[a])
        rhs[b] += g * (v[a] - v[b])
        matrix[a, a] += g
        matrix[b, b] += g
        matrix[a, b] -= g
        matrix[b, a] -= g
    return v + system.method.extrapolation * np.linalg.solve(matrix, rhs)


@pytest.mark.parametrize("method", [dx.BackwardEuler(), dx.CrankNicolson()], ids=["be", "cn"])
def test_hh_step_matches_a_dense_numpy_solve(method):
    system = dx.compile(hh_network(), dt_ms=DT, t_stop_ms=3.0, method=method)
    assert system.gap_junctions.probe.shape[0] > 1  # several junction nodes in one cell
    state = dx.simulate(system).final_state  # mid-spike at 3 ms
    assert float(jnp.max(state.v)) > 0.0
    cable = cable_constants(system)
    i, g, _ = membrane_currents(system, cable, state.v, state.states)
    stim = jnp.asarray([0.37])
    got = cable_solve(system, cable, state.v, i, g, stim)
    ref = dense_step(system, cable, state.v, i, g, stim)
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-12, atol=1e-10)


@pytest.mark.slow  # ~20 s on 2 cores: two plans of one network; the dense-solve tests cover it
def test_coloured_plan_equals_one_solve_per_junction():
    system = dx.compile(hh_network(n_cells=4, n_random=40), dt_ms=DT, t_stop_ms=DT)
    gaps = system.gap_junctions
    cable = cable_constants(system)
    rng = np.random.default_rng(0)
    d = cable.diag_uS + jnp.asarray(rng.uniform(0, 0.05, system.n_nodes))
    rhs = jnp.asarray(rng.normal(size=system.n_nodes))
    topo = system.topology
    args = (system.tree_solver, d, cable.g_edge_uS, rhs, topo.parent, topo.schedule)
    coloured = woodbury_solve(*args, gaps)
    plain = woodbury_solve(*args, dataclasses.replace(gaps, probe=None, node_cell=None))
    np.testing.assert_allclose(np.asarray(coloured), np.asarray(plain), rtol=1e-12, atol=1e-12)
    # colours: the most junction nodes in one cell, far fewer than the junctions
    nodes = np.unique(np.concatenate([np.asarray(gaps.node_a), np.asarray(gaps.node_b)]))
    per_cell = np.bincount(np.asarray(gaps.node_cell)[nodes])
    assert gaps.probe.shape == (per_cell.max(), system.n_cells)
    assert per_cell.max() < gaps.node_a.shape[0]


# --- conservation and limits ---------------------------------------------------------------


def two_somas(g=0.004, junction=True, swap=False, dtype=jnp.float64, method=None, t_stop=10.0):
    soma = dx.Cell([dx.BranchGeometry.cylinder(20.0, 20.0, 1, kind="soma")]).insert(dx.HH())
    small = dx.Cell([dx.BranchGeometry.cylinder(16.0, 16.0, 1, kind="soma")]).insert(dx.HH())
    net = dx.Network()
    net.add_cell(soma, "a")
    net.add_cell(small, "b")
    net.stimulate(dx.IClamp(1.0, 5.0, 0.3), 0, (0, 0.5))
    net.record("v", 0, (0, 0.5), "v0")
    net.record("v", 1, (0, 0.5), "v1")
    if junction:
        if swap:
            net.gap_junction(1, (0, 0.5), 0, (0, 0.5), g)
        else:
            net.gap_junction(0, (0, 0.5), 1, (0, 0.5), g)
    return dx.compile(net, dt_ms=DT, t_stop_ms=t_stop, dtype=dtype, method=method)


def with_g(system, g):
    return eqx.tree_at(lambda s: s.gap_junctions.g_uS, system, jnp.asarray(g, system.dt_ms.dtype))


def test_current_leaving_a_enters_b():
    system = dx.compile(hh_network(), dt_ms=DT, t_stop_ms=2.0)
    v = dx.simulate(system).final_state.v
    gaps = system.gap_junctions
    i = gap_current(gaps, v)
    assert abs(float(jnp.sum(i))) < 1e-12
    one = dataclasses.replace(gaps, node_a=gaps.node_a[:1], node_b=gaps.node_b[:1])
    one = dataclasses.replace(one, g_uS=gaps.g_uS[:1])
    i1 = gap_current(one, v)
    a, b = int(gaps.node_a[0]), int(gaps.node_b[0])
    expected = float(gaps.g_uS[0] * (v[b] - v[a]))  # nA into a
    assert abs(expected) > 1e-4
    np.testing.assert_allclose([float(i1[a]), float(i1[b])], [expected, -expected], rtol=1e-14)
    assert float(jnp.sum(jnp.abs(i1))) == pytest.approx(2 * abs(expected), rel=1e-14)


def test_a_junction_couples_both_ways_and_the_ends_are_symmetric():
    alone = dx.simulate(two_somas(junction=False))
    coupled = dx.simulate(two_somas())
    swapped = dx.simulate(two_somas(swap=True))
    assert float(jnp.max(alone["v1"])) < -60.0  # the unstimulated soma stays at rest alone
    assert float(jnp.max(coupled["v1"])) > 0.0  # and spikes through the junction
    assert float(jnp.max(jnp.abs(coupled["v0"] - alone["v0"]))) > 1.0  # the load acts back
    np.testing.assert_allclose(swapped.data, coupled.data, rtol=0, atol=1e-12)


def test_zero_conductance_and_one_compartment_junctions_change_nothing():
    alone = dx.simulate(two_somas(junction=False))
    zero = dx.simulate(two_somas(g=0.0))
    np.testing.assert_allclose(zero.data, alone.data, rtol=0, atol=1e-12)
    net = passive_network(junctions=[(1, 1, 1, 1, 5.0)])  # both ends in one compartment
    same = dx.simulate(dx.compile(net, dt_ms=DT, t_stop_ms=2.0))
    none = dx.simulate(dx.compile(passive_network(junctions=[]), dt_ms=DT, t_stop_ms=2.0))
    np.testing.assert_allclose(same.data, none.data, rtol=0, atol=1e-12)


def test_a_stiff_junction_is_stable_and_equalises_the_voltages():
    # g dt / C = 10 µS * 0.025 ms / 0.008 nF = 31: an explicit coupling would blow up
    r = dx.simulate(two_somas(g=10.0))
    assert bool(jnp.all(jnp.isfinite(r.data)))
    assert float(jnp.max(jnp.abs(r["v0"] - r["v1"]))) < 0.5
    assert float(jnp.max(r["v0"])) > 0.0


def test_no_junctions_no_gap_structure():
    system = dx.compile(passive_network(junctions=[]), dt_ms=DT, t_stop_ms=1.0)
    assert system.gap_junctions is None


# --- transformations -------------------------------------------------------------------------


def _loss(system, g, cm_scale=1.0):
    s = eqx.tree_at(lambda s: s.cm_uF_cm2, with_g(system, g), system.cm_uF_cm2 * cm_scale)
    r = dx.simulate(s)
    return jnp.mean((r["v0"] + 65.0) ** 2) + jnp.mean((r["v1"] + 65.0) ** 2)


@pytest.mark.parametrize(
    "model, method",
    [
        ("somas", dx.BackwardEuler()),
        pytest.param("somas", dx.CrankNicolson(), marks=pytest.mark.slow),
        # the branched cases repeat the somas' coverage on a bigger System (default suite time)
        pytest.param("branched", dx.BackwardEuler(), marks=pytest.mark.slow),
        pytest.param("branched", dx.CrankNicolson(), marks=pytest.mark.slow),
    ],
    ids=["somas-be", "somas-cn", "branched-be", "branched-cn"],
)
def test_gradient_matches_central_differences(model, method):
    if model == "somas":
        system = two_somas(method=method, t_stop=5.0)
    else:  # 4 junctions, two of them within one cell
        system = dx.compile(hh_network(2, n_random=2), dt_ms=DT, t_stop_ms=4.0, method=method)
    g0 = system.gap_junctions.g_uS
    grad_g, grad_cm = jax.grad(_loss, argnums=(1, 2))(system, g0, 1.0)
    for k in range(g0.size):
        eps = 1e-6 * max(float(g0[k]), 1e-3)
        e = jnp.zeros_like(g0).at[k].set(eps)
        fd = (_loss(system, g0 + e) - _loss(system, g0 - e)) / (2 * eps)
        assert float(jnp.abs(grad_g[k] - fd) / jnp.abs(fd)) < 1e-5, (k, grad_g[k], fd)
    eps = 1e-6  # the derivative through the tree matrix (capacitance), with junctions
    fd = (_loss(system, g0, 1 + eps) - _loss(system, g0, 1 - eps)) / (2 * eps)
    assert float(jnp.abs(grad_cm - fd) / jnp.abs(fd)) < 1e-5


@pytest.mark.slow  # ~13 s on 2 cores; the FD test above covers the gradient in g
def test_gradient_at_zero_conductance_is_finite_and_right():
    system = two_somas(t_stop=5.0)
    g0 = jnp.asarray([0.0])
    grad = jax.grad(_loss, argnums=1)(system, g0)
    eps = 1e-7
    fd = (_loss(system, g0 + eps) - _loss(system, g0 - eps)) / (2 * eps)
    assert bool(jnp.isfinite(grad[0])) and float(grad[0]) != 0.0
    assert float(jnp.abs(grad[0] - fd) / jnp.abs(fd)) < 1e-5


def test_vmap_over_g_equals_a_loop_and_jit_equals_eager():
    system = two_somas(t_stop=4.0)
    gs = jnp.asarray([[0.0], [0.004], [0.05]])

    def trace(g):
        return dx.simulate(with_g(system, g)).data

    batched = jax.vmap(trace)(gs)
    looped = jnp.stack([trace(g) for g in gs])
    np.testing.assert_allclose(batched, looped, rtol=0, atol=1e-10)
    jitted = jax.jit(trace)(gs[1])
    np.testing.assert_allclose(jitted, looped[1], rtol=0, atol=1e-10)


@pytest.mark.slow  # ~20 s on 2 cores; vmap and grad are each checked in the default suite
def test_vmap_of_grad_over_g_equals_single_grads():
    system = two_somas(t_stop=4.0)
    gs = jnp.asarray([[0.0], [0.004], [0.05]])
    grads = jax.vmap(jax.grad(lambda g: _loss(system, g)))(gs)
    np.testing.assert_allclose(grads[1], jax.grad(lambda g: _loss(system, g))(gs[1]), rtol=1e-10)


@pytest.mark.slow  # ~14 s on 2 cores; float32 against NEURON runs in test_gap_cases.py
def test_float32_runs_close_to_float64_with_finite_gradients():
    s64, s32 = two_somas(t_stop=5.0), two_somas(dtype=jnp.float32, t_stop=5.0)
    r64, r32 = dx.simulate(s64), dx.simulate(s32)
    assert r32.data.dtype == jnp.float32
    assert float(jnp.max(jnp.abs(r32.data - r64.data))) < 0.05  # mV, spikes included
    grad = jax.grad(lambda g: _loss(s32, g))(jnp.asarray([0.004], jnp.float32))
    assert grad.dtype == jnp.float32 and bool(jnp.all(jnp.isfinite(grad)))
    grad64 = jax.grad(lambda g: _loss(s64, g))(jnp.asarray([0.004]))
    assert float(jnp.abs(grad[0] - grad64[0]) / jnp.abs(grad64[0])) < 1e-2


def test_levels_solver_equals_sequential():
    a = dx.simulate(dx.compile(hh_network(), dt_ms=DT, t_stop_ms=3.0))
    b = dx.simulate(
        dx.compile(hh_network(), dt_ms=DT, t_stop_ms=3.0, tree_solver=dx.HinesLevels(width=2))
    )
    np.testing.assert_allclose(a.data, b.data, rtol=0, atol=1e-9)


# --- the description -------------------------------------------------------------------------


def soma_net(n=4) -> dx.Network:
    net = dx.Network()
    net.add_cells(branched_hh(), n, "p")
    return net


def _pairs(system):
    g = system.gap_junctions
    return np.asarray(g.node_a), np.asarray(g.node_b), np.asarray(g.g_uS)


def test_one_vectorised_call_equals_many_single_calls():
    many = soma_net()
    pop = many.populations["p"]
    many.gap_junction(pop[:3], [(0, 0.5), (1, 0.1), (2, 0.375)], pop[1:], (3, 0.5), [1, 2, 3])
    single = soma_net()
    for k, loc in enumerate([(0, 0.5), (1, 0.1), (2, 0.375)]):
        single.gap_junction(k, loc, k + 1, (3, 0.5), float(k + 1))
    a, b = (dx.compile(n, dt_ms=DT, t_stop_ms=DT) for n in (many, single))
    for x, y in zip(_pairs(a), _pairs(b)):
        np.testing.assert_array_equal(x, y)
    assert many.n_gap_junctions == 3


def test_one_cell_broadcasts_against_many_and_regions_draw_with_a_seed():
    net = soma_net()
    net.gap_junction(0, (0, 0.5), np.arange(1, 4), "apical", 0.001, seed=3)
    again = soma_net()
    again.gap_junction(0, (0, 0.5), [1, 2, 3], "apical", 0.001, seed=3)
    a, b = (dx.compile(n, dt_ms=DT, t_stop_ms=DT) for n in (net, again))
    for x, y in zip(_pairs(a), _pairs(b)):
        np.testing.assert_array_equal(x, y)
    node_a, node_b, _ = _pairs(a)
    assert np.all(node_a == 0)  # cell 0's soma
    n_comp = branched_hh().n_compartments
    assert np.array_equal(node_b // n_comp, [1, 2, 3])
    apical = set(branched_hh()._indices("apical").tolist())
    assert {int(x) % n_comp for x in node_b} <= apical


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda n: n.gap_junction([0, 1], (0, 0.5), [1, 2, 3], (0, 0.5), 0.1), ValueError, "one"),
        (lambda n: n.gap_junction(0, (0, 0.5), 1, (0, 0.5), -0.1), ValueError, "negative"),
        (lambda n: n.gap_junction(0, (0, 0.5), 9, (0, 0.5), 0.1), ValueError, "does not exist"),
        (lambda n: n.gap_junction(0, (0, 0.5), 1, (0, 0.5), [1, 2]), ValueError, "shape"),
        (lambda n: n.gap_junction(0, (0, 0.5), 1, (0, 0.5), np.nan), ValueError, "finite"),
        (lambda n: n.gap_junction(0.5, (0, 0.5), 1, (0, 0.5), 0.1), TypeError, "integers"),
    ],
)
def test_errors_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call(soma_net())


def test_the_examples_in_the_docs_run():
    text = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "gap_junctions.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    namespace: dict = {}
    for block in blocks:
        exec(block, namespace)
    assert float(namespace["dpeak_dg"][0]) > 0.0
