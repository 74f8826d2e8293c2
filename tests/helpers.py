"""Registries for the tests by JAX transformation (test_jit, test_grad, test_vmap,
test_vmap_grad), in the manner of lineax's tests: every test runs over the cross product of

- ``MODELS``: small cells of different shapes, built with the public API (<= 31 compartments);
- ``MECHANISMS``: the mechanisms in every model (hh, pas, a custom ``dx.Channel`` and a custom
  ``dx.PointMechanism``);
- ``METHODS``: ``BackwardEuler()``, ``CrankNicolson()``;
- ``SOLVERS``: ``HinesSequential()``, ``HinesLevels()``, ``HinesLevels(width=2)``;
- ``DTYPES``: float64, float32.

``CONFIGS`` is the full product (the tests marked ``slow``: ``pytest -m slow``); ``DEFAULT``
is a small selection of it in which every entry of every registry appears at least once and every
method meets every dtype (the default run). :func:`case` builds one configuration once per
session (cell, System, ParameterMap, initial parameters) and keeps its jitted functions, so the
four test files share their compilations.

How to add a model: write a function ``(amp=1.0) -> dx.Cell`` that builds a fresh cell
(geometry and cable properties), passes it to :func:`decorate` (which inserts every mechanism of
``MECHANISMS``, places the stimuli with their currents times ``amp`` and records ``"v_a"`` and
``"v_b"`` at the two given locations) and returns what ``decorate`` returns; add
``"name": function`` to ``MODELS``. Keep it small (<= ~40 compartments) and make the soma spike
within ``T_STOP_MS`` at amplitudes 0.7-1.3 (test_vmap), so that the gradients go through a
spike. Every test file then runs it in the full product (``-m slow``); the default selection
``DEFAULT`` grows to include it.

How to add a mechanism: add a :class:`Mechanism` to ``MECHANISMS`` with a factory of the channel
instance, the region it goes in (``"soma"``, ``"dendrites"`` or ``"all"``; on a cell without
dendrites ``"dendrites"`` means the soma) and the parameters to train (each a ``dx.Trainable``
shared over the whole region). Every model then carries it and every transformation test
differentiates through it.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import itertools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

import dendrax as dx

DT_MS = 0.025
T_STOP_MS = 5.0  # 200 steps
KEYS = ("v_a", "v_b")


# --- mechanisms ------------------------------------------------------------------------------


class KSlow(dx.Channel):
    """A custom channel (the pattern of docs/channels.md): slow K+ current with one gate,
    ``i = gbar n (v - ek)`` (mA/cm²)."""

    name = "kslow_test"
    parameters = {"gbar": (0.002, "S/cm^2"), "ek": (-90.0, "mV")}
    states = ("n",)

    def gates(self, v, p, celsius):
        inf = 1.0 / (1.0 + jnp.exp(-(v + 35.0) / 10.0))
        tau = 10.0 / (1.0 + jnp.exp(-(v + 50.0) / 20.0))  # ms
        return {"n": (inf, tau)}

    def current(self, v, s, p, celsius):
        return p["gbar"] * s["n"] * (v - p["ek"])


class PointConductance(dx.PointMechanism):
    """A custom point mechanism: a fixed conductance ``g`` (µS) to ``e`` (mV), i in nA."""

    name = "point_conductance_test"
    parameters = {"g": (0.0005, "uS"), "e": (-60.0, "mV")}

    def current(self, v, s, p, celsius):
        return p["g"] * (v - p["e"])


@dataclasses.dataclass(frozen=True)
class Mechanism:
    """A channel inserted into every model: ``make()`` gives the instance, ``region`` is
    ``"soma"``, ``"dendrites"`` or ``"all"``, ``trained`` the parameters to train (one shared
    value each)."""

    make: Callable[[], dx.Channel]
    region: str
    trained: tuple[str, ...]


MECHANISMS: dict[str, Mechanism] = {
    "hh": Mechanism(dx.HH, "soma", ("gnabar", "gkbar", "gl")),
    "pas": Mechanism(lambda: dx.Pas(g=1e-4, e=-65.0), "dendrites", ("g", "e")),
    "kslow": Mechanism(KSlow, "all", ("gbar",)),
    # point mechanisms are placed (twice, on one site: repeated sites add up) at the soma centre
    "point": Mechanism(PointConductance, "soma", ("g",)),
}

CABLE_TRAINED = ("cm", "Ra")  # one shared value each


def region(cell: dx.Cell, name: str) -> dx.Selection:
    soma = cell.select(kind="soma")
    if name == "soma":
        return soma
    if name == "all":
        return cell.select()
    if name == "dendrites":
        rest = cell.select() - soma
        return rest if rest.indices.size else soma
    raise ValueError(f"unknown region {name!r}; use 'soma', 'dendrites' or 'all'.")


def scaled(stimulus, amp: float):
    """The stimulus with its current multiplied by ``amp``."""
    if isinstance(stimulus, dx.IClamp):
        return dataclasses.replace(stimulus, amp_nA=stimulus.amp_nA * amp)
    return dx.Waveform(stimulus.t_ms, stimulus.i_nA * amp)


def decorate(cell: dx.Cell, stimuli, record_a, record_b, amp: float = 1.0) -> dx.Cell:
    """Insert every mechanism of ``MECHANISMS``, place ``stimuli`` (``[(stimulus, at)]``, every
    current times ``amp``) and record the voltage at ``record_a`` ("v_a") and ``record_b``
    ("v_b"), both ``(branch, x)``."""
    for mech in MECHANISMS.values():
        instance = mech.make()
        if isinstance(instance, dx.PointMechanism):
            cell.place(instance, at=(0, 0.5))
            cell.place(mech.make(), at=(0, 0.5))
        else:
            cell.insert(instance, where=region(cell, mech.region))
    for stimulus, at in stimuli:
        cell.stimulate(scaled(stimulus, amp), at=at)
    cell.record("v", record_a, key="v_a")
    cell.record("v", record_b, key="v_b")
    return cell


def trainables() -> list[dx.Trainable]:
    out = [
        dx.Trainable(f"{name}.{p}", (type(mech.make()), p))
        for name, mech in MECHANISMS.items()
        for p in mech.trained
    ]
    return out + [dx.Trainable(q, q) for q in CABLE_TRAINED]


# --- models -----------------------------------------------------------------------------------

bg = dx.BranchGeometry.cylinder


def soma_only(amp: float = 1.0) -> dx.Cell:
    """One compartment (the smallest tree: no off-diagonal entries)."""
    cell = dx.Cell([bg(20.0, 20.0, 1, kind="soma")])
    return decorate(cell, [(dx.IClamp(1.0, 3.0, 0.3), (0, 0.5))], (0, 0.5), (0, 0.5), amp)


def ball_and_stick(amp: float = 1.0) -> dx.Cell:
    """Soma + a 10-compartment dendrite (an unbranched chain, 11 compartments); a step at the
    soma and a sampled waveform at the dendrite's middle."""
    cell = dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(200.0, 2.0, 10, parent=0, kind="basal")])
    cell.set_cable(Ra_ohm_cm=100.0)
    wave = dx.Waveform(np.array([0.0, 2.0, 4.0]), np.array([0.0, 0.2, -0.1]))
    stimuli = [(dx.IClamp(1.0, 3.0, 0.6), (0, 0.5)), (wave, (1, 0.5))]
    return decorate(cell, stimuli, (0, 0.5), (1, 1.0), amp)


def branched(amp: float = 1.0) -> dx.Cell:
    """Soma with children at both ends, a tapering dendrite, a child in the middle of a branch
    and two grandchildren at a branch end: 6 branches, 24 compartments."""
    cell = dx.Cell(
        [
            bg(20.0, 20.0, 1, kind="soma"),
            bg(150.0, [3.0, 2.6, 2.2, 2.0, 1.8, 1.6], parent=0, parent_x=1.0, kind="apical"),
            bg(80.0, 1.0, 4, parent=0, parent_x=0.0, kind="basal"),
            bg(60.0, 1.2, 4, parent=1, parent_x=1.0, kind="apical"),
            bg(60.0, 0.8, 4, parent=1, parent_x=1.0, kind="apical"),
            bg(40.0, 0.7, 5, parent=1, parent_x=0.5, kind="apical"),
        ]
    )
    cell.set_cable(Ra_ohm_cm=100.0, cm_uF_cm2=1.2)
    return decorate(cell, [(dx.IClamp(1.0, 3.0, 0.8), (0, 0.5))], (0, 0.5), (3, 1.0), amp)


SWC = importlib.resources.files("dendrax") / "data" / "grc_202-2-46nj.swc"


def swc_granule(amp: float = 1.0) -> dx.Cell:
    """The bundled granule-cell reconstruction (NeuroMorpho 202-2-46nj, 3-point soma) with one
    compartment per section: 22 compartments; v_b at the tip of the deepest leaf."""
    cell = dx.read_swc(SWC).to_cell(dx.NComp(1))
    cell.set_cable(Ra_ohm_cm=100.0)
    parents = [b.parent for b in cell.geometry.branches]
    depth = [0] * len(parents)
    for i, p in enumerate(parents):  # parents come before their children
        depth[i] = 0 if p < 0 else depth[p] + 1
    tip = max((i for i in range(len(parents)) if i not in parents), key=depth.__getitem__)
    return decorate(cell, [(dx.IClamp(1.0, 3.0, 0.3), (0, 0.5))], (0, 0.5), (tip, 1.0), amp)


MODELS: dict[str, Callable[..., dx.Cell]] = {
    "soma_only": soma_only,
    "ball_and_stick": ball_and_stick,
    "branched": branched,
    "swc_granule": swc_granule,
}

METHODS = {"backward_euler": dx.BackwardEuler(), "crank_nicolson": dx.CrankNicolson()}

SOLVERS = {
    "sequential": dx.HinesSequential(),
    "levels": dx.HinesLevels(),
    "levels_w2": dx.HinesLevels(width=2),
}

DTYPES = {"float64": jnp.float64, "float32": jnp.float32}


# --- configurations ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Config:
    model: str
    method: str
    solver: str
    dtype: str

    def __str__(self) -> str:
        return f"{self.model}-{self.method}-{self.solver}-{self.dtype}"

    def with_dtype(self, dtype: str) -> Config:
        return dataclasses.replace(self, dtype=dtype)


CONFIGS = [Config(*c) for c in itertools.product(MODELS, METHODS, SOLVERS, DTYPES)]


def _default() -> list[Config]:
    """Every model, method, solver and dtype at least once, each (method, dtype) pair at least
    once, with the entries of each registry cycling at a different rate."""
    models, methods, solvers, dtypes = (list(r) for r in (MODELS, METHODS, SOLVERS, DTYPES))
    n = max(len(models), len(solvers), len(methods) * len(dtypes))
    return [
        Config(
            models[i % len(models)],
            methods[i % len(methods)],
            solvers[i % len(solvers)],
            dtypes[(i // len(methods)) % len(dtypes)],
        )
        for i in range(n)
    ]


DEFAULT = _default()

# one jitted simulate for every System: jax.jit caches one compilation per System structure
JIT_SIMULATE = jax.jit(dx.simulate)


def configs(where: Callable[[Config], bool] = lambda c: True) -> list:
    """``pytest.mark.parametrize`` values over the configurations for which ``where`` holds: those
    of ``DEFAULT`` unmarked, the rest of the full product marked ``slow``."""
    import pytest

    return [
        pytest.param(c, id=str(c), marks=() if c in DEFAULT else pytest.mark.slow)
        for c in CONFIGS
        if where(c)
    ]


# --- one configuration, built once per session ------------------------------------------------


def loss_of(traces) -> jax.Array:
    """A scalar of both traces (mV², mV) that every parameter influences."""
    return jnp.mean((traces["v_a"] + 55.0) ** 2) / 100.0 + jnp.mean(traces["v_b"])


class Case:
    """One configuration: the cell, its System, a ParameterMap over every trained parameter,
    the initial parameters, and jitted functions of them (built on first use)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.dtype = DTYPES[config.dtype]
        self.cell = MODELS[config.model]()
        self.system = self.compile(self.cell)
        self.pm = dx.ParameterMap(self.system, trainables())
        self.params = self.pm.init()

    def compile(self, cell: dx.Cell) -> dx.System:
        c = self.config
        return dx.compile(
            cell,
            dt_ms=DT_MS,
            t_stop_ms=T_STOP_MS,
            method=METHODS[c.method],
            tree_solver=SOLVERS[c.solver],
            dtype=self.dtype,
        )

    def with_amplitude(self, amp: float) -> dx.System:
        """The System of this model with every stimulus current times ``amp``."""
        return self.compile(MODELS[self.config.model](amp))

    def traces(self, params):
        return dict(dx.simulate(self.pm.apply(self.system, params)).traces)

    def loss(self, params):
        return loss_of(self.traces(params))

    def run(self, params) -> dict:
        """The traces at ``params`` (``pm.apply`` eagerly, then the shared ``JIT_SIMULATE``)."""
        return dict(JIT_SIMULATE(self.pm.apply(self.system, params)).traces)

    @functools.cached_property
    def jit_grad(self):
        return jax.jit(jax.grad(self.loss))

    @functools.cached_property
    def vmap_traces(self):
        return jax.jit(jax.vmap(self.traces))

    @functools.cached_property
    def vmap_grad(self):
        return jax.jit(jax.vmap(jax.grad(self.loss)))

    def batch(self, n: int = 3, seed: int = 0, spread: float = 0.1) -> list[dict]:
        """``n`` parameter sets around the initial ones (each value scaled by 1 +- spread)."""
        rng = np.random.default_rng(seed)
        return [
            {
                k: (v * (1.0 + spread * rng.uniform(-1.0, 1.0, v.shape))).astype(v.dtype)
                for k, v in self.params.items()
            }
            for _ in range(n)
        ]


@functools.cache
def case(config: Config) -> Case:
    return Case(config)


def stack(trees: list[dict]) -> dict:
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *trees)


def stack_differing(trees: list):
    """Stack pytrees of one structure along a new axis 0 where their leaves differ; equal leaves
    are kept once. Returns the stacked tree and the matching ``in_axes`` for ``jax.vmap`` (0 or
    None per leaf), and the number of stacked leaves."""
    first, treedef = jax.tree_util.tree_flatten(trees[0])
    rest = []
    for t in trees[1:]:
        leaves, other = jax.tree_util.tree_flatten(t)
        assert other == treedef, "the trees must have one structure"
        rest.append(leaves)
    out, axes = [], []
    for i, leaf in enumerate(first):
        column = [leaf] + [r[i] for r in rest]
        if all(np.array_equal(np.asarray(leaf), np.asarray(c)) for c in column[1:]):
            out.append(leaf)
            axes.append(None)
        else:
            out.append(jnp.stack(column))
            axes.append(0)
    n_stacked = sum(a == 0 for a in axes)
    return treedef.unflatten(out), treedef.unflatten(axes), n_stacked


def leak_mod(suffix: str) -> str:
    """The text of a one-line leak channel .mod file (``i = g (v - e)``, g in S/cm², e in mV)
    under SUFFIX ``suffix``: each test imports its own suffix, so imports never collide."""
    return f"""
NEURON {{ SUFFIX {suffix} NONSPECIFIC_CURRENT i RANGE g, e }}
UNITS {{ (mA) = (milliamp) (mV) = (millivolt) }}
PARAMETER {{ g = 0.0001 (S/cm2) e = -70 (mV) }}
ASSIGNED {{ v (mV) i (mA/cm2) }}
BREAKPOINT {{ i = g * (v - e) }}
"""
