"""Graded synapses (continuous in the presynaptic voltage): GradedSynapse (Abbott-Marder /
Prinz 2004, first-order kinetics, steady-state start), TanhSynapse (current-based) and
JaxleyIonotropicSynapse (Jaxley 0.14's IonotropicSynapse to round-off), connected with
Network.connect_graded; their equations, the engine's V^n / V^{n+1} hook, errors, jit, grad and
vmap, and the worked examples of docs/synapses.md."""

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dendrax as dx
from dendrax.mechanisms.synapses import GradedSynapse, JaxleyIonotropicSynapse, TanhSynapse

DT = 0.025
LENGTH, DIAM = 10.0, 10.0  # µm
AREA = np.pi * DIAM * LENGTH  # µm², no end caps
DOCS = Path(__file__).resolve().parents[1] / "docs" / "synapses.md"


def s_inf(v_pre, v_th=-35.0, delta=5.0):
    return 1.0 / (1.0 + np.exp((v_th - v_pre) / delta))


def soma(channel=None):
    cell = dx.Cell([dx.BranchGeometry.cylinder(LENGTH, DIAM, 1, kind="soma")])
    cell.insert(dx.HH() if channel is None else channel)
    return cell


def two_cells(synapse, channel=None, stim="step", record_s=True):
    stim = dx.IClamp(5.0, 20.0, 0.05) if stim == "step" else stim
    net = dx.Network()
    pop = net.add_cells(soma(channel), 2, name="c")
    syn = net.connect_graded(pop[0], pop[1], synapse)
    if stim is not None:
        net.stimulate(stim, 0, (0, 0.5))
    net.record("v", 0, (0, 0.5), "v0")
    net.record("v", 1, (0, 0.5), "v1")
    if record_s:
        net.record_synapse(syn, "s", "s")
    return net


def group_index(system, mechanism_type):
    return next(i for i, g in enumerate(system.mechanisms) if g.mechanism_type is mechanism_type)


# --- the mechanisms' equations ----------------------------------------------------------------


def test_graded_update_is_the_exact_solution_at_fixed_presynaptic_voltage():
    syn = GradedSynapse(v_th=-35.0, delta=5.0, k_minus=0.025)
    p = {k: jnp.asarray([v]) for k, v in syn.values.items()}
    for v_pre in (-70.0, -40.0, -35.0, -20.0):
        params = {**p, "v_pre": jnp.asarray([v_pre])}
        s = {"s": jnp.asarray([0.6])}
        for _ in range(80):
            s = syn.update(jnp.asarray([-60.0]), s, params, DT, 6.3)
        inf = s_inf(v_pre)
        tau = (1.0 - inf) / 0.025  # ms, Prinz et al. 2004
        exact = inf + (0.6 - inf) * np.exp(-80 * DT / tau)
        assert abs(float(s["s"][0]) - exact) < 1e-14 * max(1.0, abs(exact)), v_pre


def test_graded_activation_saturates_without_nan_gradients_in_float32():
    syn = GradedSynapse()
    p = {k: jnp.asarray([v], jnp.float32) for k, v in syn.values.items()}

    def s_next(v_pre):
        params = {**p, "v_pre": v_pre}
        return syn.update(v_pre, {"s": jnp.full_like(v_pre, 0.3)}, params, 0.025, 6.3)["s"].sum()

    for v in (-400.0, -65.0, 40.0, 400.0):
        x = jnp.asarray([v], jnp.float32)
        value, grad = jax.value_and_grad(s_next)(x)
        assert np.isfinite(float(value)) and np.isfinite(float(grad[0])), v
    assert float(s_next(jnp.asarray([400.0], jnp.float32))) == pytest.approx(1.0)


def test_tanh_synapse_current():
    syn = TanhSynapse(i_max=0.2, v_th=-50.0, delta=10.0)
    p = {k: jnp.asarray([v]) for k, v in syn.values.items()}
    for v_pre in (-70.0, -50.0, -30.0):
        i = syn.current(jnp.asarray([-65.0]), {}, {**p, "v_pre": jnp.asarray([v_pre])}, 6.3)
        assert float(i[0]) == pytest.approx(-0.2 * np.tanh((v_pre + 50.0) / 10.0), abs=1e-15)
    # above threshold the current is depolarising (negative, outward-positive convention)
    i_above = syn.current(jnp.asarray([-65.0]), {}, {**p, "v_pre": jnp.asarray([-30.0])}, 6.3)
    assert float(i_above[0]) < 0


def test_invalid_parameters_name_the_fix():
    with pytest.raises(ValueError, match="delta"):
        GradedSynapse(delta=0.0)
    with pytest.raises(ValueError, match="k_minus"):
        GradedSynapse(k_minus=-1.0)
    with pytest.raises(ValueError, match="delta"):
        TanhSynapse(delta=-2.0)
    with pytest.raises(ValueError, match="dx.compile"):
        JaxleyIonotropicSynapse(dt=0.1)


# --- in a network ---------------------------------------------------------------------------


def test_steady_state_start_a_resting_network_stays_at_rest():
    """Passive cells at their reversal potential, no input: GradedSynapse's s stays at
    s_inf(v_init) exactly (and with e = v_init, v stays at v_init). Jaxley's IonotropicSynapse
    starts at s = 0.2 (JaxleyIonotropicSynapse's s_init, 4x s_inf(-65 mV) = 0.047) and decays
    from there (tau_s = 38 ms) while driving the post cell."""
    pas = dx.Pas(g=1e-4, e=-65.0)
    graded = GradedSynapse(gbar=0.01, e=-65.0)
    system = dx.compile(two_cells(graded, pas, stim=None), DT, 20.0)
    r = dx.simulate(system)
    s = np.asarray(r["s"])
    assert np.abs(s - s_inf(-65.0)).max() < 1e-15
    assert np.abs(np.asarray(r["v1"]) + 65.0).max() < 1e-12
    jaxley_like = dx.compile(two_cells(JaxleyIonotropicSynapse(gS=0.01), pas, None), DT, 20.0)
    r = dx.simulate(jaxley_like)
    s = np.asarray(r["s"])
    assert s[0] == pytest.approx(0.2, abs=2e-4) and s[-1] < s[0] - 0.05
    assert np.asarray(r["v1"]).max() > -60.0  # the spurious start depolarises the post cell


def test_state_follows_the_presynaptic_voltage_at_the_new_step():
    """s[n+1] = U(s[n], v_pre[n+1]) from the recorded presynaptic voltage, and s[0] =
    s_inf(v_init): the engine passes V^{n+1} to update and v_init to init_states."""
    net = two_cells(GradedSynapse(gbar=0.002, e=0.0), stim=dx.IClamp(2.0, 10.0, 0.1))
    r = dx.simulate(dx.compile(net, DT, 20.0))
    v_pre, s = np.asarray(r["v0"]), np.asarray(r["s"])
    assert v_pre.max() > 20.0  # the presynaptic cell spikes
    inf = s_inf(v_pre[1:])
    decay = np.exp(-DT * 0.025 * (1.0 + np.exp(np.minimum((v_pre[1:] + 35.0) / 5.0, 30.0))))
    expected = inf + (s[:-1] - inf) * decay
    assert abs(s[0] - s_inf(-65.0)) < 1e-15
    assert np.abs(s[1:] - expected).max() < 1e-13
    assert s.max() > 0.5
    # excitatory (e = 0): the post cell depolarises while the synapse is open
    assert np.asarray(r["v1"]).max() > -60.0


def test_tanh_synapse_drives_a_passive_cell_to_the_ohmic_steady_state():
    """Passive pre cell at rest: i = -i_max tanh((v_init - v_th)/delta) (nA) is constant, and
    the passive post cell settles at e + (-i) / G, G = g_pas * area * 100 (µS)."""
    pas = dx.Pas(g=1e-3, e=-65.0)  # tau = 1 ms
    syn = TanhSynapse(i_max=0.02, v_th=-70.0, delta=10.0)
    r = dx.simulate(dx.compile(two_cells(syn, pas, None, record_s=False), DT, 30.0))
    i = -0.02 * np.tanh((-65.0 + 70.0) / 10.0)
    g = 1e-3 * AREA * 1e-2  # µS: S/cm² * µm² * 1e-8 cm²/µm² * 1e6 µS/S
    v_expected = -65.0 - i / g
    assert float(r["v1"][-1]) == pytest.approx(v_expected, abs=1e-8)
    assert float(r["v1"][-1]) > -65.0  # depolarised: the presynaptic voltage is above v_th


def test_all_to_all_each_synapse_reads_its_own_presynaptic_cell():
    net = dx.Network()
    pop = net.add_cells(soma(), 3, name="c")
    syn = net.connect_graded(pop, pop, GradedSynapse(gbar=1e-4), rule=dx.AllToAll())
    for c, t in enumerate((2.0, 8.0, 14.0)):
        net.stimulate(dx.IClamp(t, 1.0, 0.5), c, (0, 0.5))
    net.record("v", pop, (0, 0.5), "v")
    net.record_synapse(syn, "s", "s")
    system = dx.compile(net, DT, 20.0)
    gi = group_index(system, GradedSynapse)
    assert len(syn) == 6
    r = dx.simulate(system)
    v = np.stack([np.asarray(r[f"v[{c}]"]) for c in range(3)])
    pre = np.asarray(system.mechanisms[gi].pre_compartments)  # one compartment per cell
    post = np.asarray(system.mechanisms[gi].compartments)
    assert (pre != post).all()  # no autapses
    for k in range(6):
        s = np.asarray(r[f"s[{k}]"])
        vp = v[pre[k]]
        inf = s_inf(vp[1:])
        decay = np.exp(-DT * 0.025 * (1.0 + np.exp(np.minimum((vp[1:] + 35.0) / 5.0, 30.0))))
        assert np.abs(s[1:] - (inf + (s[:-1] - inf) * decay)).max() < 1e-13, k


def test_per_connection_parameters_and_at_post_region():
    net = dx.Network()
    pop = net.add_cells(soma(), 3, name="c")
    syn = net.connect_graded(
        pop[0] + pop[0], pop[1:], GradedSynapse(), at_post="all", params={"gbar": [1e-3, 2e-3]}
    )
    system = dx.compile(net, DT, 1.0)
    group = system.mechanisms[group_index(system, GradedSynapse)]
    assert np.asarray(group.params["gbar"]).tolist() == [1e-3, 2e-3]
    assert np.asarray(group.pre_compartments).tolist() == [0, 0]
    assert np.asarray(group.compartments).tolist() == [1, 2]
    assert syn.cells.tolist() == [1, 2]


def test_a_graded_synapse_needs_a_presynaptic_location():
    cell = soma()
    cell.place(GradedSynapse(), at=(0, 0.5), key="g")
    with pytest.raises(ValueError, match="connect_graded"):
        dx.compile(cell, DT, 1.0)
    net = dx.Network()
    pop = net.add_cells(soma(), 2)
    net.place(GradedSynapse(), pop[1])
    with pytest.raises(ValueError, match="connect_graded"):
        dx.compile(net, DT, 1.0)
    with pytest.raises(TypeError, match="connect_cells"):
        net.connect_graded(pop[0], pop[1], dx.ExpSyn())
    with pytest.raises(TypeError, match="Population"):
        net.connect_graded(net.add_source(dx.SpikeTimes([1.0])), pop[1], GradedSynapse())


def test_the_time_step_reaches_jaxley_ionotropic_synapse():
    net = two_cells(JaxleyIonotropicSynapse(), stim=None)
    system = dx.compile(net, 0.01, 1.0)
    group = system.mechanisms[group_index(system, JaxleyIonotropicSynapse)]
    assert float(group.params["dt"][0]) == pytest.approx(0.01)
    assert not group.receives_events


# --- JAX transformations ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded_system():
    net = two_cells(GradedSynapse(gbar=0.002, e=0.0), stim=dx.IClamp(1.0, 3.0, 0.2))
    system = dx.compile(net, DT, 8.0)
    return system, group_index(system, GradedSynapse)


def post_voltage_loss(system, gi, gbar):
    system = eqx.tree_at(lambda s: s.mechanisms[gi].params["gbar"], system, gbar)
    v1 = dx.simulate(system)["v1"]
    return jnp.mean((v1 + 50.0) ** 2)


def test_gradient_in_gbar_matches_central_differences(graded_system):
    system, gi = graded_system
    g0 = jnp.asarray([0.002])
    grad = jax.grad(lambda g: post_voltage_loss(system, gi, g))(g0)
    h = 1e-7
    fd = (post_voltage_loss(system, gi, g0 + h) - post_voltage_loss(system, gi, g0 - h)) / (2 * h)
    assert abs(float(fd)) > 1.0  # the synapse matters
    assert abs(float(grad[0]) - float(fd)) < 1e-5 * abs(float(fd))


def test_vmap_over_gbar_equals_a_loop_and_jit_works(graded_system):
    system, gi = graded_system
    gs = jnp.asarray([[0.0], [0.001], [0.003]])
    batched = jax.vmap(lambda g: post_voltage_loss(system, gi, g))(gs)
    looped = jnp.stack([post_voltage_loss(system, gi, g) for g in gs])
    assert np.allclose(batched, looped, rtol=1e-12, atol=0)
    jitted = jax.jit(lambda g: post_voltage_loss(system, gi, g))(gs[1])
    assert float(jitted) == pytest.approx(float(looped[1]), rel=1e-12)
    assert len(set(np.round(np.asarray(looped), 6))) == 3


# --- Jaxley compatibility ---------------------------------------------------------------------


def jaxley_two_cells(g_s, amp_nA, t_max):
    jx = pytest.importorskip("jaxley")
    from jaxley.channels import HH
    from jaxley.connect import connect
    from jaxley.synapses import IonotropicSynapse

    cell = jx.Cell(jx.Branch(jx.Compartment(), ncomp=1), parents=[-1])
    net = jx.Network([cell, cell])
    net.set("radius", DIAM / 2)
    net.set("length", LENGTH)
    net.insert(HH())
    connect(net.cell(0).branch(0).comp(0), net.cell(1).branch(0).comp(0), IonotropicSynapse())
    net.set("IonotropicSynapse_gS", g_s)
    net.set("v", -65.0)
    net.init_states()  # channels at steady state; Jaxley leaves IonotropicSynapse_s at 0.2
    current = jx.step_current(5.0, 30.0, amp_nA, DT, t_max)
    net.cell(0).branch(0).comp(0).stimulate(current, verbose=False)
    net.cell(0).branch(0).comp(0).record("v", verbose=False)
    net.cell(1).branch(0).comp(0).record("v", verbose=False)
    net.record("IonotropicSynapse_s", verbose=False)
    return np.asarray(jx.integrate(net, delta_t=DT, t_max=t_max)), np.asarray(current)


def test_jaxley_ionotropic_two_cells():
    """The documented case (docs/synapses.md): two single-compartment HH cells (10 µm long,
    radius 5 µm), one IonotropicSynapse 0 -> 1 with gS = 0.002 µS, a 0.05 nA step into cell 0
    from 5 to 35 ms, dt 0.025 ms, 60 ms, float64; both cells spike. Jaxley's HH is NEURON's hh
    at 6.3 °C and both start at the gates' steady state at -65 mV; the stimulus is Jaxley's
    per-step array. Measured max|dV| 2.8e-10 mV (Jaxley's 1e-3 mV finite-difference
    linearisation rounds at ~1e-10); the tolerance 1e-8 mV leaves room for other BLAS/XLA
    builds. dendrax's recorded s at t_k is Jaxley's at t_{k+1} (see the class docstring)."""
    t_max = 60.0
    jaxley_traces, current = jaxley_two_cells(0.002, 0.05, t_max)
    net = dx.Network()
    pop = net.add_cells(soma(), 2, name="c")
    syn = net.connect_graded(pop[0], pop[1], JaxleyIonotropicSynapse(gS=0.002))
    net.stimulate(dx.CurrentInput("i"), 0, (0, 0.5))
    net.record("v", pop, (0, 0.5), "v")
    net.record_synapse(syn, "s", "s")
    system = dx.compile(net, DT, t_max, v_init_mV=-65.0)
    r = dx.simulate(system, {"i": jnp.asarray(current[: system.n_steps])})
    v0, v1, s = (np.asarray(r[k]) for k in ("v[0]", "v[1]", "s"))
    assert v0.shape == jaxley_traces[0].shape
    assert v0.max() > 20.0 and v1.max() > 20.0  # both spike: the synapse is exercised
    assert np.abs(v0 - jaxley_traces[0]).max() < 1e-8
    assert np.abs(v1 - jaxley_traces[1]).max() < 1e-8
    assert np.abs(s[:-1] - jaxley_traces[2][1:]).max() < 1e-10
    assert jaxley_traces[2][0] == 0.2


# --- the worked examples of docs/synapses.md run as written -----------------------------------


def doc_scripts() -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return [
        textwrap.dedent(m.group(1))
        for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)
    ]


def test_docs_have_their_examples():
    scripts = doc_scripts()
    assert len(scripts) == 3
    assert "connect_graded(" in scripts[0]
    assert "on_event" in scripts[1] and "net.connect(" in scripts[1]
    assert "presynaptic = True" in scripts[2]


def test_docs_examples_run(tmp_path):
    """Each example runs as written, in its own namespace (one Python process for the three,
    to pay for the import once), followed by a check of what it shows."""
    checks = [
        # the inhibitory all-to-all circuit: cell 0 spikes, its synapses open
        "import numpy as np\n"
        "assert np.asarray(result['v[0]']).max() > 20\n"
        "assert max(float(result[f's[{k}]'].max()) for k in range(6)) > 0.5\n",
        # the event: cell 0's spike reaches cell 1 and depolarises it
        "assert float(result['v[1]'].max()) > -60\n",
        # the graded synapse (e = -80 mV) hyperpolarises cell 1 while cell 0 is depolarised
        "assert float(result['v[0]'].max()) > 20\nassert float(result['v[1]'].min()) < -66\n",
    ]
    scripts = [s + "\n" + c for s, c in zip(doc_scripts(), checks)]
    runner = "\n".join(
        f"exec(compile({s!r}, 'docs/synapses.md example {k}', 'exec'), {{'__name__': 'ex{k}'}})"
        for k, s in enumerate(scripts)
    )
    out = subprocess.run(
        [sys.executable, "-c", runner], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
