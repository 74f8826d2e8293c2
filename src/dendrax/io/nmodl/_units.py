"""Physical constants of NMODL ``UNITS`` blocks (``FARADAY = (faraday) (coulomb)``) with
NEURON 9's values (its units table ``nrnunits.lib``: the 2019 SI definitions).

The values of the usual forms were read from what NEURON 9.0.2's translator writes for them
(exact doubles); other SI-prefixed targets of the same constants are converted here (equal to
NEURON's to the last bit or one unit in the last place).
"""

from __future__ import annotations

import math

# (constant, target unit) -> NEURON 9.0.2's value
KNOWN: dict[tuple[str, str], float] = {
    ("faraday", "coulomb"): 96485.33212331001,
    ("faraday", "coulombs"): 96485.33212331001,
    ("faraday", "coul"): 96485.33212331001,
    ("faraday", "C"): 96485.33212331001,
    ("faraday", "kilocoulombs"): 96.48533212331002,
    ("faraday", "kilocoulomb"): 96.48533212331002,
    ("faraday", "millicoulomb"): 96485332.12331001,
    ("k-mole", "joule/degC"): 8.31446261815324,
    ("k-mole", "joule/K"): 8.31446261815324,
    ("k-mole", "millijoule/degC"): 8314.462618153239,
    ("R", "joule/degC"): 8.31446261815324,
    ("e", "coulombs"): 1.602176634e-19,
    ("e", "coulomb"): 1.602176634e-19,
    ("k", "joule/degC"): 1.380649e-23,
    ("pi", "1"): math.pi,
    ("mole", "1"): 6.02214076e23,
}

# the constants in SI units (per mole where NEURON's units table has it)
BASE: dict[str, tuple[float, str]] = {
    "faraday": (96485.33212331001, "coulomb"),
    "k-mole": (8.31446261815324, "joule/degC"),
    "R": (8.31446261815324, "joule/degC"),
    "e": (1.602176634e-19, "coulomb"),
    "k": (1.380649e-23, "joule/degC"),
    "boltzmann": (1.380649e-23, "joule/degC"),
    "pi": (math.pi, "1"),
    "mole": (6.02214076e23, "1"),
    "avogadro": (6.02214076e23, "1"),
}

_PREFIXES = {
    "": 1.0,
    "kilo": 1e3,
    "mega": 1e6,
    "milli": 1e-3,
    "micro": 1e-6,
    "nano": 1e-9,
    "pico": 1e-12,
}
_SYNONYMS = {
    "coulomb": "coulomb",
    "coulombs": "coulomb",
    "coul": "coulomb",
    "C": "coulomb",
    "joule/degC": "joule/degC",
    "joule/K": "joule/degC",
    "J/degC": "joule/degC",
    "J/K": "joule/degC",
    "1": "1",
}


def unit_constant(constant: str, target: str) -> float | None:
    """The value of ``(constant)`` expressed in ``(target)``, or None if this table does not
    know the constant or cannot convert to the target."""
    constant, target = constant.strip(), target.replace(" ", "")
    if (constant, target) in KNOWN:
        return KNOWN[(constant, target)]
    if constant not in BASE:
        return None
    value, base_unit = BASE[constant]
    for prefix, factor in _PREFIXES.items():
        if target.startswith(prefix) and _SYNONYMS.get(target[len(prefix) :]) == base_unit:
            return value / factor
    return None
