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
from ..train._parameter_map import Trainable
from ..train._quantities import CABLE_QUANTITIES, CableParameter, MechanismParameter
from ..train._sharing import Grouping, PerBranch, PerCompartment, PerRegion, Shared
from ..train._transforms import Identity, Sigmoid, Softplus, Transform
from ._checks import check_number, check_unknown

FIT_FORMATS = ("dendrax-fit/1",)
OPTIMIZERS: dict[str, Callable[..., optax.GradientTransformation]] = {
    "adam": optax.adam,
    "adamw": optax.adamw,
    "sgd": optax.sgd,
    "rmsprop": optax.rmsprop,
}
LOSS_TYPES = ("mse", "spike_count", "mean", "std")
SHARING: dict[str, type] = {
    "shared": Shared,
    "region": PerRegion,
    "branch": PerBranch,
    "compartment": PerCompartment,
}
_TOP = (
    "format", "description", "parameters", "loss", "optimizer", "steps", "early_stopping",
    "checkpoint_levels",
)  # fmt: skip
_PARAM = ("name", "quantity", "where", "sharing", "bounds", "init")
_LOSS = ("type", "key", "window_ms", "weight", "threshold_mV", "width_mV")


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


@dataclasses.dataclass(frozen=True)
class FitConfig:
    trainables: tuple[Trainable, ...]
    loss: tuple[LossTerm, ...]
    optimizer: optax.GradientTransformation
    optimizer_spec: dict
    steps: int
    patience: int | None
    min_delta: float
    checkpoint_levels: int | None


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


def _bounds(where: str, value: Any, positive: bool) -> Transform:
    if value is None:
        return Softplus() if positive else Identity()
    if value == "none":
        return Identity()
    if isinstance(value, list) and len(value) == 2:
        lo = _number(f"{where}[0]", value[0])
        hi = _number(f"{where}[1]", value[1])
        if not lo < hi:
            raise FitConfigError(f"{where}={value}: the lower bound must be below the upper one.")
        return Sigmoid(lo, hi)
    if isinstance(value, Mapping) and set(value) == {"lower"}:
        return Softplus(_number(f"{where}.lower", value["lower"]))
    raise FitConfigError(f'{where}={value!r}: use [lower, upper], {{"lower": value}} or "none".')


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
    transform = _bounds(f"{where}.bounds", entry.get("bounds"), positive)
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
    )


def _optimizer(where: str, value: Any) -> tuple[optax.GradientTransformation, dict]:
    spec = {"name": "adam", "learning_rate": 0.05}
    if value is not None:
        if not isinstance(value, Mapping):
            raise FitConfigError(f"{where} must be an object such as {spec}.")
        _unknown(where, value, ("name", "learning_rate", "clip_norm"))
        spec = {**spec, **value}
    name = spec["name"]
    if name not in OPTIMIZERS:
        raise FitConfigError(f"{where}.name={name!r}: use one of {sorted(OPTIMIZERS)}.")
    lr = _number(f"{where}.learning_rate", spec["learning_rate"], positive=True)
    opt = OPTIMIZERS[name](lr)
    if spec.get("clip_norm") is not None:
        clip = _number(f"{where}.clip_norm", spec["clip_norm"], positive=True)
        opt = optax.chain(optax.clip_by_global_norm(clip), opt)
    return opt, dict(spec)


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
        terms = tuple(LossTerm("mse", k) for k in keys)
    else:
        entries = loss if isinstance(loss, list) else [loss]
        if not entries:
            raise FitConfigError("loss must be a loss term or a non-empty list of them.")
        terms = tuple(_loss_term(f"loss[{i}]", e, keys) for i, e in enumerate(entries))
    optimizer, spec = _optimizer("optimizer", data.get("optimizer"))
    steps = _integer("steps", data.get("steps", 100), 1)
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
    return FitConfig(trainables, terms, optimizer, spec, steps, patience, min_delta, levels)


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
    if t.shape == t_ms.shape and np.allclose(t, t_ms, rtol=0, atol=1e-9):
        return out
    span = 1e-9 * max(1.0, float(t_ms[-1]))
    if t[0] > t_ms[0] + span or t[-1] < t_ms[-1] - span:
        raise FitConfigError(
            f"{path}: the target covers {t[0]:g}-{t[-1]:g} ms but the model runs "
            f"{t_ms[0]:g}-{t_ms[-1]:g} ms; shorten the model's tstop_ms or record longer."
        )
    return {k: np.interp(t_ms, t, v) for k, v in out.items()}


def trace_loss(terms, target: Mapping[str, np.ndarray], t_ms: np.ndarray) -> Callable:
    """The loss of the configured terms as a pure JAX function of the model's traces.

    ``mse`` is the windowed mean squared error (mV²); ``spike_count``, ``mean`` and ``std`` are
    the squared differences of :func:`dendrax.soft_spike_count` (count²), :func:`window_mean`
    and :func:`window_std` (mV²) between model and target. Each term is multiplied by its weight
    and the terms are summed.
    """
    import jax.numpy as jnp

    from ..train import _losses as L

    t = jnp.asarray(t_ms)
    targets = {term.key: jnp.asarray(target[term.key]) for term in terms}

    def feature(term: LossTerm, x):
        kw = {"t_ms": t, "window_ms": term.window_ms}
        if term.kind == "spike_count":
            return L.soft_spike_count(
                x, threshold_mV=term.threshold_mV, width_mV=term.width_mV, **kw
            )
        return L.window_mean(x, **kw) if term.kind == "mean" else L.window_std(x, **kw)

    def loss(traces: Mapping[str, Any]):
        total = 0.0
        for term in terms:
            x, y = traces[term.key], targets[term.key].astype(traces[term.key].dtype)
            if term.kind == "mse":
                value = L.mse(x, y, t_ms=t, window_ms=term.window_ms)
            else:
                value = (feature(term, x) - feature(term, y)) ** 2
            total = total + term.weight * value
        return total

    return loss
