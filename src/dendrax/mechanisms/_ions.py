"""Ion species and the ion variables mechanisms read and write (NMODL ``USEION``): names,
units, NEURON's defaults, the Nernst potential and the GHK current factor.

A variable is a reversal potential ``e<ion>`` (mV), an intra-/extracellular concentration
``<ion>i`` / ``<ion>o`` (mM) or, for reads only, the compartment's total current of the ion
``i<ion>`` (mA/cm², outward positive, at the start of the step). Defaults are NEURON 9's:
``ena = 50``, ``ek = -77``, ``eca = 132.4579341637009`` mV; ``nai0 = 10``, ``nao0 = 140``,
``ki0 = 54.4``, ``ko0 = 2.5``, ``cai0 = 5e-5``, ``cao0 = 2`` mM. Other ions have NEURON's
defaults for an unknown ion (``e = 0`` mV, concentrations 1 mM) and need a valence.

Constants (CODATA 2018, as NEURON 9 uses them): F = 96485.33212331001 C/mol,
R = 8.31446261815324 J/(mol K); T = celsius + 273.15 K.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import jax.numpy as jnp

FARADAY = 96485.33212331001  # C/mol
GAS_CONSTANT = 8.31446261815324  # J/(mol K)
ZERO_CELSIUS_K = 273.15


@dataclasses.dataclass(frozen=True)
class IonSpecies:
    """An ion species: valence and NEURON's defaults (reversal potential in mV, initial
    intra- and extracellular concentrations in mM)."""

    name: str
    valence: int
    erev_mV: float = 0.0
    ci0_mM: float = 1.0
    co0_mM: float = 1.0


SPECIES: dict[str, IonSpecies] = {
    "na": IonSpecies("na", 1, 50.0, 10.0, 140.0),
    "k": IonSpecies("k", 1, -77.0, 54.4, 2.5),
    "ca": IonSpecies("ca", 2, 132.4579341637009, 5e-5, 2.0),
}

NEURON_DEFAULTS: dict[str, float] = {}
for _s in SPECIES.values():
    NEURON_DEFAULTS["e" + _s.name] = _s.erev_mV
    NEURON_DEFAULTS[_s.name + "i"] = _s.ci0_mM
    NEURON_DEFAULTS[_s.name + "o"] = _s.co0_mM

_NAME = re.compile(r"^(e[a-z][a-z0-9_]*|i[a-z][a-z0-9_]*|[a-z][a-z0-9_]*[io])$")
KINDS = ("erev", "current", "conc_in", "conc_out")


def parse_ion_variable(name: str, known: Mapping[str, object] = SPECIES) -> tuple[str, str]:
    """``(ion, kind)`` of an ion variable name, kind one of ``erev``, ``current``,
    ``conc_in``, ``conc_out``; known ion names win over the bare syntax (``"ica"`` is the
    current of ca, ``"ki"`` the concentration of k)."""
    if name.startswith("e") and name[1:] in known:
        return name[1:], "erev"
    if name.startswith("i") and name[1:] in known:
        return name[1:], "current"
    if name[-1:] in ("i", "o") and name[:-1] in known:
        return name[:-1], "conc_in" if name.endswith("i") else "conc_out"
    if not _NAME.match(name):
        raise ValueError(
            f"{name!r} is not an ion variable; use e<ion> (reversal potential, mV), <ion>i / "
            "<ion>o (concentration, mM) or i<ion> (current, mA/cm²), e.g. 'ena', 'cai', 'ica'."
        )
    if name.endswith(("i", "o")):
        return name[:-1], "conc_in" if name.endswith("i") else "conc_out"
    return name[1:], "erev" if name.startswith("e") else "current"


def ion_unit(name: str) -> str:
    """``"mV"`` for a reversal potential, ``"mM"`` for a concentration, ``"mA/cm²"`` for a
    current."""
    kind = parse_ion_variable(name)[1]
    return {"erev": "mV", "current": "mA/cm²"}.get(kind, "mM")


def check_ion_reads(owner: str, reads, parameters: Mapping) -> None:
    """The declared ``ion_reads`` of a mechanism class are well formed."""
    if isinstance(reads, str) or not all(isinstance(r, str) for r in reads):
        raise TypeError(f"{owner}.ion_reads must be a tuple of names such as ('ena',).")
    bad = [r for r in reads if not _NAME.match(r)]
    if bad:
        raise ValueError(
            f"{owner}.ion_reads: {bad} are not ion variables; use e<ion> (reversal potential, "
            "mV), <ion>i / <ion>o (concentration, mM) or i<ion> (current, mA/cm²), e.g. "
            "'ena', 'cai', 'ica'."
        )
    clash = sorted(set(reads) & set(parameters))
    if clash:
        raise ValueError(
            f"{owner}: {clash} are both parameters and ion_reads; a value read from the ion "
            "cannot also be a parameter of the mechanism. Drop one of them."
        )


def check_ion_writes(owner: str, writes, states) -> None:
    """The declared ``ion_writes`` are concentrations and not also states."""
    if isinstance(writes, str) or not all(isinstance(w, str) for w in writes):
        raise TypeError(f"{owner}.ion_writes must be a tuple of names such as ('cai',).")
    bad = [w for w in writes if not _NAME.match(w) or not w.endswith(("i", "o"))]
    if bad:
        raise ValueError(
            f"{owner}.ion_writes: {bad} are not concentrations; a mechanism writes <ion>i or "
            "<ion>o (mM), e.g. 'cai'. Currents are written through species_currents()."
        )
    clash = sorted(set(writes) & set(states))
    if clash:
        raise ValueError(
            f"{owner}: {clash} are both states and ion_writes; a written concentration is "
            "kept by the engine (State.conc), so drop it from `states`."
        )


def nernst(ci_mM, co_mM, valence, celsius):
    """Nernst potential (mV): ``1000 R T / (z F) · ln(co/ci)``, T = celsius + 273.15 K."""
    ktf = 1000.0 * GAS_CONSTANT * (celsius + ZERO_CELSIUS_K) / FARADAY
    return ktf / valence * jnp.log(co_mM / ci_mM)


def ghk(v_mV, ci_mM, co_mM, valence, celsius):
    """The Goldman-Hodgkin-Katz current factor (mA/cm² per cm/s of permeability): the
    current density of an ion of permeability ``P`` (cm/s) is ``P · ghk(...)``.

    ``ghk = 1e-3 z F (ci f(-u) - co f(u))`` with ``u = 1e-3 z F v / (R T)`` and
    ``f(u) = u / (exp(u) - 1)`` (``1 - u/2`` where ``|u| < 1e-4``), the form of NEURON's
    calcium mod files (e.g. Destexhe's ``efun``).
    """
    u = 1e-3 * valence * FARADAY * v_mV / (GAS_CONSTANT * (celsius + ZERO_CELSIUS_K))

    def f(z):
        small = jnp.abs(z) < 1e-4
        safe = jnp.where(small, 1.0, z)
        return jnp.where(small, 1.0 - z / 2.0, safe / (jnp.exp(safe) - 1.0))

    return 1e-3 * valence * FARADAY * (ci_mM * f(-u) - co_mM * f(u))
