"""Unit sanity checks: values far outside the physiological range of their unit warn.

dendrax takes plain numbers in NEURON's units (S/cm², nA, µm, Ω·cm, µF/cm², °C, ms, mM, mV,
µS). A number typed in another unit (120 for HH's gnabar, which is 0.12 S/cm² = 120 mS/cm²;
500 meant as pA; a diameter in metres) is still a valid number, and would simulate something
meaningless. The checks here warn with a :class:`UnitWarning` that names the value, the unit
expected and the likely mistake. They only warn: a deliberate extreme is silenced with
``warnings.filterwarnings("ignore", category=dendrax.UnitWarning)`` (or turned into an error
with ``"error"``). docs/units.md lists every range and why.

The model-file readers call the same functions (:func:`check_range`,
:func:`check_mechanism_values`), or label what the Cell API checks with :func:`unit_context`.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np


class UnitWarning(UserWarning):
    """A value far outside the physiological range of its unit (probably given in another
    unit). Silence it for deliberate extremes:
    ``warnings.filterwarnings("ignore", category=dendrax.UnitWarning)``."""


@dataclasses.dataclass(frozen=True)
class Range:
    """The range of one kind of quantity outside which a value warns.

    ``low``/``high`` bound ``|value|`` (``signed``: the value itself); zero never warns against
    ``low`` (it is a deliberate "off"). ``hint_low``/``hint_high`` name the likely mistake.
    """

    unit: str
    low: float | None
    high: float | None
    hint_low: str = ""
    hint_high: str = ""
    signed: bool = False


# The documented thresholds (docs/units.md). Each lies an order of magnitude or more beyond the
# largest value of published models, so that a correct model never warns.
RANGES: dict[str, Range] = {
    # Hay et al. 2011: somatic NaTa_t 2.04 S/cm², axonal Na up to ~5; HH 0.12.
    "conductance_density": Range(
        "S/cm²", None, 10.0, hint_high="did you give mS/cm²? (120 mS/cm² = 0.12 S/cm²)"
    ),
    # synaptic peak conductances are ~1e-4-0.1 µS (0.1-100 nS).
    "point_conductance": Range("µS", None, 100.0, hint_high="did you give nS? (1 nS = 0.001 µS)"),
    # somatic current steps are ~0.01-5 nA.
    "current": Range("nA", None, 100.0, hint_high="did you give pA? (500 pA = 0.5 nA)"),
    # axons and spines ~0.1 µm, somata and dendrites ~1-50 µm, giant axons ~500 µm.
    "diameter": Range(
        "µm",
        0.01,
        1000.0,
        hint_low="did you give metres or mm? (2 µm = 2e-6 m = 0.002 mm)",
        hint_high="did you give nm? (2 µm = 2000 nm)",
    ),
    # compartment lengths ~0.1-1000 µm.
    "length": Range(
        "µm",
        1e-3,
        1e5,
        hint_low="did you give metres or mm? (100 µm = 1e-4 m = 0.1 mm)",
        hint_high="did you give nm? (100 µm = 100000 nm)",
    ),
    # Ra: 35.4 (NEURON's default) to ~300 Ω·cm.
    "axial_resistivity": Range(
        "Ω·cm",
        1.0,
        1e4,
        hint_low="did you give Ω·m or kΩ·cm? (100 Ω·cm = 1 Ω·m = 0.1 kΩ·cm)",
        hint_high="typical values are 30-300 Ω·cm; did you give Ω·mm? (100 Ω·cm = 1000 Ω·mm)",
    ),
    # cm: ~0.5-2 µF/cm² (Hay's dendrites 2, spine-corrected models up to ~5).
    "capacitance": Range(
        "µF/cm²",
        0.05,
        20.0,
        hint_low="did you give F/m²? (1 µF/cm² = 0.01 F/m²)",
        hint_high="typical values are 0.5-2 µF/cm²; did you give nF/cm² or fF/µm²? "
        "(1 µF/cm² = 1000 nF/cm² = 10 fF/µm²)",
    ),
    "temperature": Range(
        "°C",
        -10.0,
        50.0,
        hint_low="experiments run at ~6-37 °C",
        hint_high="did you give kelvin? (34 °C = 307.15 K)",
        signed=True,
    ),
    "time_step": Range(
        "ms",
        1e-4,
        1.0,
        hint_low="did you give seconds? (0.025 ms = 2.5e-5 s)",
        hint_high="did you give µs? (25 µs = 0.025 ms); steps above 1 ms miss spikes",
    ),
    # intracellular Ca ~5e-5 mM, extracellular Na ~140 mM; seawater ~500 mM.
    "concentration": Range(
        "mM", None, 1000.0, hint_high="did you give µM or nM? (50 nM = 0.05 µM = 5e-5 mM)"
    ),
    # reversal potentials lie within about ±150 mV (eca ~130 mV).
    "voltage": Range("mV", None, 1000.0, hint_high="did you give µV? (-65 mV = -65000 µV)"),
    # initial voltages: as "voltage", and a nonzero |v| < 0.5 is likely volts.
    "initial_voltage": Range(
        "mV",
        0.5,
        1000.0,
        hint_low="did you give volts? (-65 mV = -0.065 V)",
        hint_high="did you give µV? (-65 mV = -65000 µV)",
    ),
}

# Mechanism.parameters unit strings (as written in mod files and by users) -> (kind, factor to
# the kind's unit). Spaces, "^" and "²" are ignored; unknown units are not checked.
_UNIT_KINDS: dict[str, tuple[str, float]] = {
    "S/cm2": ("conductance_density", 1.0),
    "mho/cm2": ("conductance_density", 1.0),
    "siemens/cm2": ("conductance_density", 1.0),
    "mS/cm2": ("conductance_density", 1e-3),
    "mmho/cm2": ("conductance_density", 1e-3),
    "pS/um2": ("conductance_density", 1e-4),
    "uS": ("point_conductance", 1.0),
    "umho": ("point_conductance", 1.0),
    "microsiemens": ("point_conductance", 1.0),
    "nS": ("point_conductance", 1e-3),
    "nA": ("current", 1.0),
    "pA": ("current", 1e-3),
    "mM": ("concentration", 1.0),
    "milli/liter": ("concentration", 1.0),
    "uM": ("concentration", 1e-3),
    "mV": ("voltage", 1.0),
    "millivolt": ("voltage", 1.0),
    "um": ("length", 1.0),
    "micron": ("length", 1.0),
}


def _normalise(unit: str) -> str:
    u = unit.strip().replace(" ", "").replace("^", "").replace("²", "2").replace("µ", "u")
    return u.replace("μ", "u").replace("(", "").replace(")", "")


def unit_kind(unit: str) -> tuple[str, float] | None:
    """``(kind, factor)`` of a parameter unit string (``"S/cm^2"`` -> ``("conductance_density",
    1.0)``, ``"mS/cm2"`` -> factor 1e-3), or None for units that are not checked."""
    if not isinstance(unit, str):
        return None
    return _UNIT_KINDS.get(_normalise(unit))


_CONTEXT: contextvars.ContextVar[str] = contextvars.ContextVar("dendrax_unit_context", default="")


@contextlib.contextmanager
def unit_context(where: str) -> Iterator[None]:
    """Prefix every unit warning raised inside with ``where`` (e.g. a model file's field:
    ``with unit_context("cell.json: branches[3]"): cell.insert(...)``)."""
    token = _CONTEXT.set(where)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _stacklevel() -> int:
    """The stacklevel of the first frame outside dendrax (the user's line that caused it)."""
    frame: Any = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _PACKAGE_DIR + os.sep
    ):
        frame = frame.f_back
        level += 1
    return level


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def out_of_range(kind: str, values: Any) -> tuple[np.ndarray, str]:
    """Boolean mask of the values of ``kind`` outside :data:`RANGES` and the hint for the
    first of them (``""`` if none)."""
    r = RANGES[kind]
    v = np.atleast_1d(np.asarray(values, dtype=np.float64))
    mag = v if r.signed else np.abs(v)
    finite = np.isfinite(mag)
    low = np.zeros(v.shape, dtype=bool)
    high = np.zeros(v.shape, dtype=bool)
    if r.low is not None:
        low = finite & (mag < r.low)
        if not r.signed:
            low &= v != 0.0  # zero is a deliberate "off", not a unit mistake
    if r.high is not None:
        high = finite & (mag > r.high)
    bad = low | high
    if not bad.any():
        return bad, ""
    first = int(np.flatnonzero(bad)[0])
    return bad, r.hint_high if high[first] else r.hint_low


def check_range(
    kind: str,
    values: Any,
    where: str,
    *,
    factor: float = 1.0,
    unit: str | None = None,
    locate: Any = None,
) -> bool:
    """Warn (:class:`UnitWarning`) if a value of ``kind`` (a key of :data:`RANGES`) lies
    outside its range. Returns whether it warned.

    Args:
        kind: e.g. ``"conductance_density"``, ``"current"``, ``"diameter"``.
        values: a number or an array (one warning for all of them).
        where: what the value is, for the message (``"HH.gnabar"``, ``"IClamp.amp_nA"``,
            ``"branches[3].diam_um"``).
        factor: the values times ``factor`` are in the kind's unit (for parameters declared
            in e.g. mS/cm²).
        unit: the unit to name in the message (default: the kind's).
        locate: optional ``index -> str`` describing where the i-th value is.
    """
    r = RANGES[kind]
    v = np.atleast_1d(np.asarray(values, dtype=np.float64)) * factor
    bad, hint = out_of_range(kind, v)
    if not bad.any():
        return False
    first = int(np.flatnonzero(bad)[0])
    shown_unit = unit or r.unit
    value = v[first] / factor
    lo = "" if r.low is None else _fmt(r.low)
    hi = "" if r.high is None else _fmt(r.high)
    if r.signed:
        bounds = f"{lo}..{hi} {r.unit}"
    elif r.low is None:
        bounds = f"|value| <= {hi} {r.unit}"
    else:
        bounds = f"{lo} <= |value| <= {hi} {r.unit}"
    count = ""
    if v.size > 1:
        count = f" ({int(bad.sum())} of {v.size} values; first"
        if locate is not None:
            count += f" at {locate(first)}"
        count += ")"
    prefix = _CONTEXT.get()
    prefix = f"{prefix}: " if prefix else ""
    warnings.warn(
        f"{prefix}{where} = {_fmt(value)} {shown_unit}{count} is far outside the usual range "
        f"({bounds}). {shown_unit} expected: {hint}. If it is deliberate, silence this with "
        "warnings.filterwarnings('ignore', category=dendrax.UnitWarning).",
        UnitWarning,
        stacklevel=_stacklevel(),
    )
    return True


def check_mechanism_values(
    mechanism: Any, values: Mapping[str, Any], where: str = "", locate: Any = None
) -> None:
    """Check a mechanism's parameter values (numbers or arrays) by the unit each parameter
    declares in ``mechanism.parameters`` (a class or instance); parameters whose unit is not
    known (e.g. "ms", "1") are not checked."""
    mtype = mechanism if isinstance(mechanism, type) else type(mechanism)
    label = getattr(mtype, "__name__", str(mtype))
    parameters: Mapping[str, tuple[float, str]] = getattr(mtype, "parameters", {})
    for p, val in values.items():
        declared = parameters.get(p)
        if declared is None:
            continue
        found = unit_kind(declared[1])
        if found is None:
            continue
        kind, factor = found
        check_range(
            kind,
            val,
            f"{where}{label}.{p}",
            factor=factor,
            unit=None if factor == 1.0 else declared[1],
            locate=locate,
        )


def check_run_options(
    *, dt_ms: float | None = None, celsius: float | None = None, v_init_mV: float | None = None
) -> None:
    """Check a simulation's time step (ms), temperature (°C) and initial voltage (mV)."""
    if dt_ms is not None:
        check_range("time_step", dt_ms, "dt_ms")
    if celsius is not None:
        check_range("temperature", celsius, "celsius")
    if v_init_mV is not None:
        check_range("initial_voltage", v_init_mV, "v_init_mV")
