"""``cad``: submembrane Ca2+ with first-order extrusion (Destexhe 1995), the calcium pool of
the ModelDB demos of Pospischil et al. (2008).

NEURON names: ModelDB 123623, ``cadecay_destexhe.mod`` (A. Destexhe 1995; SUFFIX ``cad``,
RANGE ``depth``, ``kt``, ``kd``, ``cainf``, ``taur``).
"""

from __future__ import annotations

import jax.numpy as jnp

from ..._base import Channel

# cadecay_destexhe.mod's own constant (not NEURON's CODATA value 96485.33212331001)
FARADAY_CAD = 96489.0


def cad_step(cai_mM, ica_mA_cm2, dt_ms, depth_um, taur_ms, cainf_mM):
    """One backward-Euler step (NMODL ``derivimplicit``; exact solution of the implicit
    equation, which is linear with ``ica`` frozen) of
    ``cai' = drive + (cainf - cai)/taur``, ``drive = max(-1e4 ica/(2 F depth), 0)`` (mM/ms;
    inward current only, "cannot pump inward"; F = 96489):
    ``cai' = (cai + dt (drive + cainf/taur))/(1 + dt/taur)`` (mM)."""
    drive = -10000.0 * ica_mA_cm2 / (2.0 * FARADAY_CAD * depth_um)
    drive = jnp.where(drive <= 0.0, 0.0, drive)
    return (cai_mM + dt_ms * (drive + cainf_mM / taur_ms)) / (1.0 + dt_ms / taur_ms)


class Cad(Channel):
    """Ca2+ pool of the Pospischil et al. (2008) demos (NEURON's ``cad``,
    ``cadecay_destexhe.mod``).

    Integrates ``cai`` (mM) from the compartment's total Ca2+ current ``ica`` of the start of
    the step, :func:`cad_step`. Parameters ``depth`` (µm), ``taur`` (ms), ``cainf`` (mM),
    ``kt`` (mM/ms) and ``kd`` (mM), the last two unused ("dummy", kept for the names of the
    pump version). Reads ica (mA/cm²) and cai; writes cai (``INITIAL``: ``cai = cainf``). No
    current.

    As in the ModelDB file (since 2012): ``METHOD derivimplicit`` (backward Euler) and its
    own ``FARADAY = 96489`` C/mol.
    """

    name = "cad"
    order_name = "cadecay_destexhe"
    parameters = {
        "depth": (0.1, "um"),
        "taur": (5.0, "ms"),
        "cainf": (2e-4, "mM"),
        "kt": (0.0, "mM/ms"),
        "kd": (0.0, "mM"),
    }
    states = ()
    ion_reads = ("ica", "cai")
    ion_writes = ("cai",)

    def init_states(self, v, params, celsius):
        return {"cai": params["cainf"] + 0.0 * v}

    def update(self, v, states, params, dt, celsius):
        cai = cad_step(
            params["cai"], params["ica"], dt, params["depth"], params["taur"], params["cainf"]
        )
        return {"cai": cai}

    def species_currents(self, v, states, params, celsius):
        return {}

    def current(self, v, states, params, celsius):
        return jnp.zeros_like(v)
