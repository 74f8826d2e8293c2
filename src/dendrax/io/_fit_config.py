"""The fit configuration file of ``dendrax fit`` (FIT.json, ``"format": "dendrax-fit/1"``).

Documented in docs/fit_format.md. It lists the trainable parameters (which quantity, where,
sharing, bounds, initial value), the loss on the recordings, the optimiser and the number of
steps. Every field is checked against the model; errors name the field and say how to fix it.

Model files store one value per branch (``diam_um`` per compartment), so the trainables here are
branch-aligned: ``where`` names regions or branches, and per-compartment sharing is accepted for
``radius`` only (the Python API, :class:`dendrax.ParameterMap`, has no such restriction).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import optax

from ..mechanisms import DEFAULT_REGISTRY, MechanismRegistry
from ..model._cell import Cell
from ..morphology._selection import Selection
from ..train._fit import Phase, lbfgs
from ..train._parameter_map import Trainable
from ..train._quantities import CABLE_QUANTITIES, CableParameter, MechanismParameter
from ..train._sharing import Grouping, PerBranch, PerCompartment, PerRegion, Shared
from ..train._transforms import Identity, LogSigmoid, Sigmoid, Softplus, Transform
from ._checks import check_number, check_unknown

FIT_FORMATS = ("dendrax-fit/1",)
OPTIMIZERS: dict[str, Callable[..., optax.GradientTransformation]] = {
    "adam": optax.adam,
    "adamw": optax.adamw,
    "sgd": optax.sgd,
    "rmsprop": optax.rmsprop,
    "lbfgs": lbfgs,
}
SCHEDULES = ("constant", "cosine")
WINDOWED = {
    "windowed_mean": "mean",
    "windowed_std": "std",
    "windowed_spike_count": "spike_count",
}
LOSS_TYPES = ("mse", "spike_count", "mean", "std", *WINDOWED)
SCALES = ("linear", "log")
# The default loss and optimiser (docs/fitting.md has the measurements behind them).
DEFAULT_FEATURE_WEIGHT = 10.0
DEFAULT_WIDTHS_MS = (5.0, 20.0, 50.0)
DEFAULT_STEPS = 300  # with the default optimiser: 1/3 Adam, 2/3 L-BFGS
DEFAULT_SINGLE_STEPS = 100  # with one optimiser given in FIT.json (format 1's default)
DEFAULT_STOP_LOSS = 1e-10  # loss units (mV² for voltages): a start ends once this low
SHARING: dict[str, type] = {
    "shared": Shared,
    "region": PerRegion,
    "branch": PerBranch,
    "compartment": PerCompartment,
}
_TOP = (
    "format", "description", "parameters", "loss", "optimizer", "steps", "early_stopping",
    "checkpoint_levels", "n_starts", "seed", "target_series", "stop_loss",
)  # fmt: skip
_PARAM = ("name", "quantity", "where", "sharing", "bounds", "init", "scale")
_LOSS = ("type", "key", "window_ms", "weight", "threshold_mV", "width_mV", "width_ms")
_OPT = ("name", "learning_rate", "clip_norm", "steps", "schedule", "memory_size", "patience",
        "min_delta")  # fmt: skip


class FitConfigError(ValueError):
    """A fit configuration that cannot be used; the message names the field and the fix."""


@dataclasses.dataclass(frozen=True)
class LossTerm:
    """``weight · (feature(model) - feature(target))²`` for one recording (see docs)."""

    kind: str
    key: str
    weight: float = 1.0
    window_ms: tuple[float, float] | None = None
    threshold_mV: float = 0.0
    width_mV: float = 2.0
    width_ms: tuple[float, ...] = DEFAULT_WIDTHS_MS


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """A checked FIT.json. ``phases`` are run one after another (``optimizer`` and ``steps``
    are those of the first phase, kept for format-1 callers); ``optimizer_spec`` lists the
    phases' settings (a dict for one phase, as format 1 wrote it)."""

    trainables: tuple[Trainable, ...]
    loss: tuple[LossTerm, ...]
    optimizer: optax.GradientTransformation
    optimizer_spec: Any
    steps: int
    patience: int | None
    min_delta: float
    checkpoint_levels: int | None
    phases: tuple[Phase, ...] = ()
    n_starts: int = 1
    seed: int = 0
    target_series: Mapping[str, str] | None = None
    stop_loss: float = DEFAULT_STOP_LOSS
    default_loss: bool = False
    default_optimizer: bool = False


def _number(where: str, value: Any, *, positive=False, nonneg=False) -> float:
    return check_number(where, value, error=FitConfigError, positive=positive, nonneg=nonneg)


def _integer(where: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FitConfigError(f"{where} must be an integer >= {minimum}, got {value!r}.")
    return value


def _unknown(where: str, data: Mapping, allowed) -> None:
    check_unknown(where, data, allowed, error=FitConfigError)


def _selection(where: str, value: Any, cell: Cell) -> Selection:
    """``"all"``, a region name, or ``{"region": name(s), "branches": [indices]}``."""
    try:
        if value is None or value == "all":
            return cell.select()
        if isinstance(value, str):
            return cell.select(kind=value)
        if isinstance(value, Mapping):
            _unknown(where, value, ("region", "branches"))
            branches = value.get("branches")
            if branches is not None and not (
                isinstance(branches, list)
                and all(isinstance(b, int) and not isinstance(b, bool) for b in branches)
            ):
                raise FitConfigError(f"{where}.branches must be a list of branch indices.")
            return cell.select(kind=value.get("region"), branches=branches)
    except ValueError as e:  # unknown region or branch, from Cell.select
        if isinstance(e, FitConfigError):
            raise
        raise FitConfigError(f"{where}: {e}") from None
    raise FitConfigError(
        f'{where}={value!r}: use "all", a region name such as "soma", or '
        '{"region": ..., "branches": [...]}.'
    )


def _quantity(
    where: str, value: Any, registry: MechanismRegistry
) -> tuple[CableParameter | MechanismParameter, bool]:
    """The Trainable quantity and whether it must stay positive."""
    if not isinstance(value, str):
        raise FitConfigError(f'{where} must be a string such as "hh.gnabar" or "cm".')
    if value in CABLE_QUANTITIES:
        return CableParameter(value), True
    mech, _, param = value.partition(".")
    if not param or mech not in registry:
        raise FitConfigError(
            f"{where}={value!r}: use one of {sorted(CABLE_QUANTITIES)} or "
            f'"<mechanism>.<parameter>" with a mechanism among {sorted(registry)}.'
        )
    ctype = registry[mech]
    if param not in ctype.parameters:
        raise FitConfigError(
            f"{where}={value!r}: {mech} has no parameter {param!r}; its parameters are "
            f"{sorted(ctype.parameters)}."
        )
    return MechanismParameter(ctype, param), "S/cm" in ctype.parameters[param][1]


def _bounds(where: str, value: Any, positive: bool, scale: Any, conductance: bool) -> Transform:
    """The transform of ``bounds`` (``where`` names the parameter entry). ``[lower, upper]``
    bounds of a conductance density (S/cm²) are log-scaled unless ``scale`` says "linear"."""
    field = f"{where}.bounds"
    if scale is not None and scale not in SCALES:
        raise FitConfigError(f"{where}.scale={scale!r}: use one of {list(SCALES)}.")
    two = isinstance(value, list) and len(value) == 2
    if scale is not None and not two:
        raise FitConfigError(
            f"{where}.scale={scale!r} applies to [lower, upper] bounds only; give "
            f'"bounds": [lower, upper] or remove "scale".'
        )
    if value is None:
        return Softplus() if positive else Identity()
    if value == "none":
        return Identity()
    if two:
        lo = _number(f"{field}[0]", value[0])
        hi = _number(f"{field}[1]", value[1])
        if not lo < hi:
            raise FitConfigError(f"{field}={value}: the lower bound must be below the upper one.")
        log = scale == "log" or (scale is None and conductance and lo > 0)
        if log:
            if lo <= 0:
                raise FitConfigError(
                    f'{where}.scale="log" needs a positive lower bound, got {field}={value}; '
                    'raise the lower bound above 0 or use "scale": "linear".'
                )
            return LogSigmoid(lo, hi)
        return Sigmoid(lo, hi)
    if isinstance(value, Mapping) and set(value) == {"lower"}:
        return Softplus(_number(f"{field}.lower", value["lower"]))
    raise FitConfigError(f'{field}={value!r}: use [lower, upper], {{"lower": value}} or "none".')


def _trainable(where: str, entry: Any, cell: Cell, registry: MechanismRegistry) -> Trainable:
    if not isinstance(entry, Mapping):
        raise FitConfigError(f"{where} must be an object.")
    _unknown(where, entry, _PARAM)
    if "quantity" not in entry:
        raise FitConfigError(f"{where} lacks the field 'quantity' (e.g. \"hh.gnabar\").")
    quantity, positive = _quantity(f"{where}.quantity", entry["quantity"], registry)
    selection = _selection(f"{where}.where", entry.get("where"), cell)
    raw = entry.get("sharing", "shared")
    sharing: Any
    if isinstance(raw, Mapping):
        _unknown(f"{where}.sharing", raw, ("groups",))
        groups = raw.get("groups")
        if not isinstance(groups, list) or not groups:
            raise FitConfigError(f"{where}.sharing.groups must be a non-empty list of `where`s.")
        sharing = Grouping(
            tuple(
                _selection(f"{where}.sharing.groups[{i}]", g, cell) & selection
                for i, g in enumerate(groups)
            )
        )
    elif raw in SHARING:
        sharing = SHARING[raw]()
    else:
        raise FitConfigError(
            f'{where}.sharing={raw!r}: use one of {sorted(SHARING)} or {{"groups": [...]}}.'
        )
    if isinstance(sharing, PerCompartment) and quantity != CableParameter("radius"):
        raise FitConfigError(
            f'{where}.sharing="compartment": model files store {entry["quantity"]} per branch, '
            'so the fitted values could not be written back; use "branch" (only radius may be '
            "fitted per compartment here; the Python API allows any)."
        )
    init = entry.get("init")
    if init is not None:
        values = init if isinstance(init, list) else [init]
        if not values:
            raise FitConfigError(f"{where}.init must be a number or a non-empty list.")
        for i, v in enumerate(values):
            _number(f"{where}.init[{i}]" if isinstance(init, list) else f"{where}.init", v)
    conductance = isinstance(quantity, MechanismParameter) and positive
    transform = _bounds(where, entry.get("bounds"), positive, entry.get("scale"), conductance)
    name = entry.get("name", entry["quantity"])
    if not isinstance(name, str) or not name:
        raise FitConfigError(f"{where}.name must be a non-empty string.")
    where_arg = None if entry.get("where") in (None, "all") else selection
    return Trainable(name, quantity, where_arg, sharing, init, transform)


def _loss_term(where: str, entry: Any, keys: list[str]) -> LossTerm:
    if not isinstance(entry, Mapping):
        raise FitConfigError(f"{where} must be an object.")
    _unknown(where, entry, _LOSS)
    kind = entry.get("type", "mse")
    if kind not in LOSS_TYPES:
        raise FitConfigError(f"{where}.type={kind!r}: use one of {list(LOSS_TYPES)}.")
    key = entry.get("key")
    if key not in keys:
        raise FitConfigError(
            f"{where}.key={key!r}: name a recording of the model that the target holds; "
            f"available keys are {keys}."
        )
    window = entry.get("window_ms")
    if window is not None:
        if not isinstance(window, list) or len(window) != 2:
            raise FitConfigError(f"{where}.window_ms must be [start, stop] in ms.")
        lo = _number(f"{where}.window_ms[0]", window[0])
        hi = _number(f"{where}.window_ms[1]", window[1])
        if not lo < hi:
            raise FitConfigError(f"{where}.window_ms={window}: start must be before stop.")
        window = (lo, hi)
    return LossTerm(
        kind=kind,
        key=key,
        weight=_number(f"{where}.weight", entry.get("weight", 1.0), nonneg=True),
        window_ms=window,
        threshold_mV=_number(f"{where}.threshold_mV", entry.get("threshold_mV", 0.0)),
        width_mV=_number(f"{where}.width_mV", entry.get("width_mV", 2.0), positive=True),
        width_ms=_width_ms(where, kind, entry),
    )


def _width_ms(where: str, kind: str, entry: Mapping) -> tuple[float, ...]:
    if "width_ms" in entry and kind not in WINDOWED:
        raise FitConfigError(
            f"{where}.width_ms is the window width of the windowed_* loss types; "
            f"type {kind!r} has no windows (use window_ms=[start, stop] to restrict it)."
        )
    value = entry.get("width_ms", list(DEFAULT_WIDTHS_MS))
    values = value if isinstance(value, list) else [value]
    if not values:
        raise FitConfigError(f"{where}.width_ms must be a width (ms) or a non-empty list of them.")
    field = f"{where}.width_ms" if not isinstance(value, list) else None
    return tuple(
        _number(field or f"{where}.width_ms[{i}]", v, positive=True) for i, v in enumerate(values)
    )


def default_loss(keys: list[str]) -> tuple[LossTerm, ...]:
    """The loss of a FIT.json without ``loss`` (docs/fitting.md): for every key, the trace MSE
    plus ``DEFAULT_FEATURE_WEIGHT`` x the MSEs of the windowed mean and standard deviation in
    windows of 5, 20 and 50 ms (summed over the widths; all mV² for voltages)."""
    terms = []
    for key in keys:
        terms.append(LossTerm("mse", key))
        for kind in ("windowed_mean", "windowed_std"):
            terms.append(LossTerm(kind, key, weight=DEFAULT_FEATURE_WEIGHT))
    return tuple(terms)


def _phase(where: str, value: Any, steps: int | None, single: bool) -> tuple[Phase, dict]:
    """One optimiser entry -> a Phase and its settings (with the defaults filled in)."""
    if not isinstance(value, Mapping):
        raise FitConfigError(
            f'{where} must be an object such as {{"name": "adam", "learning_rate": 0.05}}.'
        )
    _unknown(where, value, _OPT)
    name = value.get("name", "adam")
    if name not in OPTIMIZERS:
        raise FitConfigError(f"{where}.name={name!r}: use one of {sorted(OPTIMIZERS)}.")
    if "steps" in value:
        n = _integer(f"{where}.steps", value["steps"], 1)
    elif steps is not None:
        n = steps
    elif single:
        n = DEFAULT_SINGLE_STEPS
    else:
        raise FitConfigError(
            f"{where} lacks 'steps': in a list of optimisers every phase gives its own steps."
        )
    spec: dict[str, Any] = {"name": name}
    if name == "lbfgs":
        for field in ("learning_rate", "schedule"):
            if field in value:
                raise FitConfigError(
                    f"{where}.{field}: lbfgs takes its step length from a line search; remove "
                    f"{field!r} (or use adam, which has a learning rate)."
                )
        memory = _integer(f"{where}.memory_size", value.get("memory_size", 20), 1)
        spec["memory_size"] = memory
        opt = lbfgs(memory)
    else:
        if "memory_size" in value:
            raise FitConfigError(f"{where}.memory_size is a setting of lbfgs, not of {name}.")
        lr = _number(f"{where}.learning_rate", value.get("learning_rate", 0.05), positive=True)
        schedule = value.get("schedule", "constant")
        if schedule not in SCHEDULES:
            raise FitConfigError(f"{where}.schedule={schedule!r}: use one of {list(SCHEDULES)}.")
        spec["learning_rate"] = lr
        if "schedule" in value:
            spec["schedule"] = schedule
        rate: Any = lr if schedule == "constant" else optax.cosine_decay_schedule(lr, n, 0.1)
        opt = OPTIMIZERS[name](rate)
    if value.get("clip_norm") is not None:
        clip = _number(f"{where}.clip_norm", value["clip_norm"], positive=True)
        spec["clip_norm"] = clip
        opt = optax.chain(optax.clip_by_global_norm(clip), opt)
    patience = value.get("patience")
    if patience is not None:
        patience = _integer(f"{where}.patience", patience, 1)
        spec["patience"] = patience
    min_delta = value.get("min_delta")
    if min_delta is not None:
        min_delta = _number(f"{where}.min_delta", min_delta, nonneg=True)
        spec["min_delta"] = min_delta
    if not single:
        spec["steps"] = n
    return Phase(opt, n, name, patience, min_delta), spec


DEFAULT_OPTIMIZER = (
    {"name": "adam", "learning_rate": 0.1, "schedule": "cosine"},
    {"name": "lbfgs", "memory_size": 20, "patience": 20},
)


def _optimizer(where: str, value: Any, steps: Any) -> tuple[tuple[Phase, ...], Any, bool]:
    """``(phases, spec, is_default)`` of the ``optimizer`` field with the top-level ``steps``."""
    total = None if steps is None else _integer("steps", steps, 1)
    if value is None:  # the default: Adam (a third of the steps), then L-BFGS
        total = DEFAULT_STEPS if total is None else total
        if total < 2:
            raise FitConfigError(
                "steps must be >= 2 with the default optimiser (Adam, then L-BFGS); give "
                'more steps or an "optimizer".'
            )
        adam = max(1, round(total / 3))
        entries = [dict(DEFAULT_OPTIMIZER[0], steps=adam),
                   dict(DEFAULT_OPTIMIZER[1], steps=total - adam)]  # fmt: skip
        built = [_phase(f"{where}[{i}]", e, None, False) for i, e in enumerate(entries)]
        return tuple(p for p, _ in built), [spec for _, spec in built], True
    if isinstance(value, list):
        if not value:
            raise FitConfigError(f"{where} must be an optimiser object or a non-empty list.")
        if total is not None:
            raise FitConfigError(
                f'steps: with a list of optimisers every phase gives its own "steps"; remove '
                f"the top-level steps (={total})."
            )
        built = [_phase(f"{where}[{i}]", e, None, False) for i, e in enumerate(value)]
        return tuple(p for p, _ in built), [spec for _, spec in built], False
    phase, spec = _phase(where, value, total, True)
    return (phase,), spec, False


def _target_series(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise FitConfigError(
            "target_series must map recording keys of the model to NWB series names, e.g. "
            '{"v_soma": "CurrentClampSeries_01"}.'
        )
    return dict(value)


def fit_config_from_dict(
    data: Any, cell: Cell, keys: list[str], registry: MechanismRegistry = DEFAULT_REGISTRY
) -> FitConfig:
    """Check a parsed FIT.json against the model's ``cell`` and the recording ``keys`` that both
    the model and the target have; build the trainables, loss terms and optimiser."""
    if not isinstance(data, Mapping):
        raise FitConfigError("A fit configuration must hold a JSON object at the top level.")
    fmt = data.get("format", FIT_FORMATS[0])
    if fmt not in FIT_FORMATS:
        raise FitConfigError(f"format={fmt!r} is not supported; use {FIT_FORMATS[0]!r}.")
    _unknown("fit configuration", data, _TOP)
    params = data.get("parameters")
    if not isinstance(params, list) or not params:
        raise FitConfigError(
            "parameters must be a non-empty list of trainable parameters, e.g. "
            '[{"quantity": "hh.gnabar", "where": "soma", "bounds": [0.01, 0.5]}].'
        )
    trainables = tuple(
        _trainable(f"parameters[{i}]", p, cell, registry) for i, p in enumerate(params)
    )
    names = [t.name for t in trainables]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise FitConfigError(
            f"parameters: the name(s) {dup} occur more than once; give each entry a distinct "
            '"name" (the name defaults to the quantity).'
        )
    if not keys:
        raise FitConfigError("the model and the target share no recording key to fit.")
    loss = data.get("loss")
    if loss is None:
        terms = default_loss(keys)
    else:
        entries = loss if isinstance(loss, list) else [loss]
        if not entries:
            raise FitConfigError("loss must be a loss term or a non-empty list of them.")
        terms = tuple(_loss_term(f"loss[{i}]", e, keys) for i, e in enumerate(entries))
    phases, spec, default_opt = _optimizer("optimizer", data.get("optimizer"), data.get("steps"))
    early = data.get("early_stopping") or {}
    if not isinstance(early, Mapping):
        raise FitConfigError('early_stopping must be an object {"patience": n, "min_delta": x}.')
    _unknown("early_stopping", early, ("patience", "min_delta"))
    patience = early.get("patience")
    if patience is not None:
        patience = _integer("early_stopping.patience", patience, 1)
    min_delta = _number("early_stopping.min_delta", early.get("min_delta", 0.0), nonneg=True)
    levels = data.get("checkpoint_levels")
    if levels is not None:
        levels = _integer("checkpoint_levels", levels, 1)
    n_starts = _integer("n_starts", data.get("n_starts", 1), 1)
    seed = _integer("seed", data.get("seed", 0), 0)
    stop_loss = _number("stop_loss", data.get("stop_loss", DEFAULT_STOP_LOSS), nonneg=True)
    return FitConfig(
        trainables, terms, phases[0].optimizer, spec, phases[0].steps, patience, min_delta,
        levels, phases=phases, n_starts=n_starts, seed=seed,
        target_series=_target_series(data.get("target_series")), stop_loss=stop_loss,
        default_loss=loss is None,
        default_optimizer=default_opt,
    )  # fmt: skip


def load_fit_config(
    path: str | os.PathLike,
    cell: Cell,
    keys: list[str],
    registry: MechanismRegistry = DEFAULT_REGISTRY,
) -> FitConfig:
    """Read FIT.json; see :func:`fit_config_from_dict`."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FitConfigError(f"Fit configuration {str(path)!r} does not exist.") from None
    except json.JSONDecodeError as e:
        raise FitConfigError(f"{path}: not valid JSON ({e}).") from None
    return fit_config_from_dict(data, cell, keys, registry)


def load_target(path: str | os.PathLike, t_ms: np.ndarray) -> dict[str, np.ndarray]:
    """The traces of an npz written by ``dendrax simulate``, on the model's time grid ``t_ms``.

    Traces recorded on another grid are linearly interpolated; the target must cover the
    model's time span.
    """
    try:
        data = np.load(path)
    except FileNotFoundError:
        raise FitConfigError(f"Target file {str(path)!r} does not exist.") from None
    except (OSError, ValueError) as e:
        raise FitConfigError(f"{path}: not an npz file ({e}).") from None
    with data:
        if "t" not in data.files:
            raise FitConfigError(
                f"{path}: no 't' array; give an npz written by `dendrax simulate` (t in ms and "
                "one array per recording key)."
            )
        t = np.asarray(data["t"], dtype=np.float64)
        out = {}
        for key in data.files:
            arr = data[key]
            if key == "t" or key.startswith("spikes__") or arr.shape != t.shape:
                continue
            out[key] = np.asarray(arr, dtype=np.float64)
    if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
        raise FitConfigError(f"{path}: 't' must be increasing sample times (ms).")
    _check_covers(str(path), t, t_ms)
    return {k: _on_grid(str(path), t, v, t_ms) for k, v in out.items()}


def is_nwb(path: str | os.PathLike) -> bool:
    """True for a target file to read as NWB (suffix ``.nwb``)."""
    return str(path).lower().endswith(".nwb")


@dataclasses.dataclass(frozen=True)
class NWBTarget:
    """Traces of an NWB file mapped to model recording keys, with their stimuli.

    Attributes:
        traces: model key -> the response (mV) on the model's time grid.
        series: model key -> the name of the NWB series fitted to it.
        stimuli: ``(model key, t_ms, i_nA)`` for every mapped response with a stimulus: the
            breakpoints of the current to inject at that recording's site (zero-order hold of
            the stimulus samples, :func:`dendrax.io._nwb.zero_order_hold`).
    """

    traces: dict[str, np.ndarray]
    series: dict[str, str]
    stimuli: tuple[tuple[str, np.ndarray, np.ndarray], ...]


def _check_covers(where: str, t: np.ndarray, t_ms: np.ndarray) -> None:
    span = 1e-9 * max(1.0, float(t_ms[-1]))
    if t[0] > t_ms[0] + span or t[-1] < t_ms[-1] - span:
        raise FitConfigError(
            f"{where}: the target covers {t[0]:g}-{t[-1]:g} ms but the model runs "
            f"{t_ms[0]:g}-{t_ms[-1]:g} ms; shorten the model's tstop_ms or record longer."
        )


def _on_grid(where: str, t: np.ndarray, values: np.ndarray, t_ms: np.ndarray) -> np.ndarray:
    """``values`` sampled at ``t`` (ms), on the model's grid ``t_ms`` (linear interpolation)."""
    _check_covers(where, t, t_ms)
    if t.shape == t_ms.shape and np.allclose(t, t_ms, rtol=0, atol=1e-9):
        return values
    return np.interp(t_ms, t, values)


def load_nwb_target(
    path: str | os.PathLike,
    t_ms: np.ndarray,
    voltage_keys: list[str],
    series: Mapping[str, str] | None = None,
) -> NWBTarget:
    """The CurrentClampSeries of an NWB file as fit targets on the model's time grid ``t_ms``.

    Args:
        path: the NWB file.
        t_ms: the model's sample times (ms).
        voltage_keys: the model's voltage recording keys.
        series: FIT.json's ``target_series`` (model key -> series name); None matches a series
            to the key of the same name, or the file's only series to the model's only voltage
            recording.
    """
    from ._nwb import NWBError, read_current_clamp, zero_order_hold

    try:
        recordings = read_current_clamp(path)
    except NWBError as e:
        raise FitConfigError(str(e)) from None
    names = sorted(recordings)
    if series is not None:
        for key, name in series.items():
            if key not in voltage_keys:
                raise FitConfigError(
                    f"target_series: {key!r} is not a voltage recording of the model; its "
                    f"voltage recordings are {voltage_keys}."
                )
            if name not in recordings:
                raise FitConfigError(
                    f"target_series.{key}={name!r}: {path} has no CurrentClampSeries of that "
                    f"name; it has {names}."
                )
        mapping = dict(series)
    else:
        mapping = {k: k for k in voltage_keys if k in recordings}
        if not mapping and len(recordings) == 1 and len(voltage_keys) == 1:
            mapping = {voltage_keys[0]: names[0]}
        if not mapping:
            raise FitConfigError(
                f"{path}: cannot tell which CurrentClampSeries ({names}) belongs to which voltage "
                f"recording of the model ({voltage_keys}); name them in FIT.json, e.g. "
                f'"target_series": {{"{(voltage_keys or ["v_soma"])[0]}": "{names[0]}"}}.'
            )
    traces, stimuli = {}, []
    for key, name in mapping.items():
        rec = recordings[name]
        traces[key] = _on_grid(f"{path}: series {name!r}", rec.t_ms, rec.v_mV, t_ms)
        if rec.stimulus_nA is not None and rec.stimulus_t_ms is not None:
            stimuli.append((key, *zero_order_hold(rec.stimulus_t_ms, rec.stimulus_nA)))
    return NWBTarget(traces, mapping, tuple(stimuli))


def read_target_series(config_path: str | os.PathLike) -> dict[str, str] | None:
    """FIT.json's ``target_series`` (checked), read before the rest of the configuration
    (the target's keys are needed to check the loss terms)."""
    try:
        with open(config_path) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError):
        return None  # load_fit_config reports these
    if not isinstance(data, Mapping):
        return None
    return _target_series(data.get("target_series"))


def trace_loss(terms, target: Mapping[str, np.ndarray], t_ms: np.ndarray) -> Callable:
    """The loss of the configured terms as a pure JAX function of the model's traces.

    ``mse`` is the windowed mean squared error (mV²); ``spike_count``, ``mean`` and ``std`` are
    the squared differences of :func:`dendrax.soft_spike_count` (count²), :func:`window_mean`
    and :func:`window_std` (mV²) between model and target. ``windowed_mean``, ``windowed_std``
    and ``windowed_spike_count`` are the mean over consecutive windows of ``width_ms`` of the
    squared differences of that feature in each window (mV², mV², count²;
    :mod:`dendrax.train._features`), summed over the term's window widths. Each term is
    multiplied by its weight and the terms are summed.
    """
    import jax.numpy as jnp

    from ..train import _features as F
    from ..train import _losses as L

    t = jnp.asarray(t_ms)
    t_host = np.asarray(t_ms, dtype=np.float64)
    targets = {term.key: jnp.asarray(target[term.key]) for term in terms}

    def feature(term: LossTerm, x) -> Any:
        kw = {"t_ms": t, "window_ms": term.window_ms}
        if term.kind == "spike_count":
            return L.soft_spike_count(
                x, threshold_mV=term.threshold_mV, width_mV=term.width_mV, **kw
            )
        if term.kind in WINDOWED:
            return [
                F.windowed_features(
                    x, t_host, width_ms=w, window_ms=term.window_ms,
                    features=(WINDOWED[term.kind],), threshold_mV=term.threshold_mV,
                    width_mV=term.width_mV,
                )[..., 0]
                for w in term.width_ms
            ]  # fmt: skip
        return L.window_mean(x, **kw) if term.kind == "mean" else L.window_std(x, **kw)

    target_features = {
        i: feature(term, targets[term.key]) for i, term in enumerate(terms) if term.kind in WINDOWED
    }

    def loss(traces: Mapping[str, Any]):
        total = 0.0
        for i, term in enumerate(terms):
            x, y = traces[term.key], targets[term.key].astype(traces[term.key].dtype)
            value: Any
            if term.kind == "mse":
                value = L.mse(x, y, t_ms=t, window_ms=term.window_ms)
            elif term.kind in WINDOWED:
                value = sum(
                    jnp.mean((f - ref.astype(x.dtype)) ** 2)
                    for f, ref in zip(feature(term, x), target_features[i])
                )
            else:
                value = (feature(term, x) - feature(term, y)) ** 2
            total = total + term.weight * value
        return total

    return loss
