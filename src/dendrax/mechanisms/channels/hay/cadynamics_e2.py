"""``CaDynamics_E2``: submembrane Ca2+ shell with first-order removal, of Hay et al. (2011),
after Destexhe et al. (1994).

ModelDB 139653, ``CaDynamics_E2.mod``. Equations: FORMAT_V2.md sections 7 and 8.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel
from ..._ions import FARADAY


def cadynamics_e2_step(cai_mM, ica_mA_cm2, dt_ms, gamma, decay_ms, depth_um, min_cai_mM):
    """One step of ``dcai/dt = -1e4 gamma ica/(2 F depth) - (cai - minCai)/decay`` with ``ica``
    frozen (NMODL ``cnexp`` of a linear equation, exact):
    ``c∞ = minCai - decay 1e4 gamma ica/(2 F depth)``,
    ``cai' = c∞ + (cai - c∞) exp(-dt/decay)`` (mM; ica in mA/cm², depth in µm, F in C/mol;
    the 1e4 makes it mM/ms)."""
    c_inf = min_cai_mM - decay_ms * 1e4 * gamma * ica_mA_cm2 / (2.0 * FARADAY * depth_um)
    return c_inf + (cai_mM - c_inf) * jnp.exp(-dt_ms / decay_ms)


class CaDynamics_E2(Channel):
    """Intracellular Ca2+ of a submembrane shell (Hay et al. 2011, ``CaDynamics_E2.mod``).

    Integrates ``cai`` (mM) from the compartment's total Ca2+ current ``ica`` of the start of
    the step (all Ca channels together), :func:`cadynamics_e2_step`. Parameters ``gamma``
    (fraction of free, unbuffered Ca2+, 1), ``decay`` (removal time constant, ms), ``depth``
    (shell depth, µm), ``minCai`` (mM). Reads ica (mA/cm²) and cai; writes cai. No current.

    The mod file has no INITIAL block: ``cai`` starts at the ion's initial concentration
    (NEURON's ``cai0 = 5e-5`` mM, below ``minCai = 1e-4``), so it relaxes upwards at rest.
    """

    name = "CaDynamics_E2"
    parameters = {
        "gamma": (0.05, "1"),
        "decay": (80.0, "ms"),
        "depth": (0.1, "um"),
        "minCai": (1e-4, "mM"),
    }
    states = ()
    ion_reads = ("ica", "cai")
    ion_writes = ("cai",)

    def init_states(self, v, params, celsius):
        return {}

    def update(self, v, states, params, dt, celsius):
        cai = cadynamics_e2_step(
            params["cai"],
            params["ica"],
            dt,
            params["gamma"],
            params["decay"],
            params["depth"],
            params["minCai"],
        )
        return {"cai": cai}

    def species_currents(self, v, states, params, celsius):
        return {}

    def current(self, v, states, params, celsius):
        return jnp.zeros_like(v)
