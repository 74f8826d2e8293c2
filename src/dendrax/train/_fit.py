"""``fit``: gradient descent on any loss of the parameters, with optax, in unconstrained space.

    pm = dendrax.ParameterMap(system, [Trainable("gna", (dendrax.HH, "gnabar"),
                                                       transform=dendrax.Sigmoid(0.01, 0.5))])

    def loss(params):
        traces = dendrax.simulate(pm.apply(system, params)).traces
        return dendrax.mse(traces["v_soma"], target)

    result = dendrax.fit(loss, pm.init(), optax.adam(0.05), steps=200, parameter_map=pm,
                         patience=20)
    result.params, result.history

The optimiser steps on ``u = transform.inverse(x)`` for every parameter ``x`` (see
:mod:`dendrax.train._transforms`), so bounded parameters never leave their range. Each step is
one jit-compiled ``value_and_grad`` plus the optimiser update; the loss comes back to the host
every step for the history, the progress bar, early stopping and the divergence check.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._divergence import SimulationDiverged, describe_nonfinite
from ._transforms import Transform


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What :func:`fit` found.

    Attributes:
        params: physical parameter values with the lowest loss seen (``history[best_step]``).
        last_params: the values after the last optimiser update (their loss was not evaluated).
        history: the loss at every step, evaluated before that step's update (NumPy array).
        best_loss: ``history[best_step]``.
        best_step: the step of ``params``.
        stopped_early: True if early stopping (or the callback) ended the fit before ``steps``.
        seconds: wall-clock time of the whole fit, compilation included.
    """

    params: Any
    last_params: Any
    history: np.ndarray
    best_loss: float
    best_step: int
    stopped_early: bool
    seconds: float


def _maps(parameter_map) -> tuple[Callable, Callable]:
    """``(to_unconstrained, from_unconstrained)`` for a ParameterMap, a dict of Transforms or
    None (identity). Keys without a transform pass through unchanged."""
    if parameter_map is None:
        return (lambda p: p), (lambda u: u)
    if isinstance(parameter_map, Mapping):
        bad = [k for k, t in parameter_map.items() if not isinstance(t, Transform)]
        if bad:
            raise TypeError(f"parameter_map[{bad[0]!r}] is not a dendrax Transform.")

        def apply(params, forward: bool):
            out = dict(params)
            for key, t in parameter_map.items():
                if key in out:
                    out[key] = t.forward(out[key]) if forward else t.inverse(out[key])
            return out

        return (lambda p: apply(p, False)), (lambda u: apply(u, True))
    if hasattr(parameter_map, "to_unconstrained") and hasattr(parameter_map, "from_unconstrained"):
        return parameter_map.to_unconstrained, parameter_map.from_unconstrained
    raise TypeError(
        f"parameter_map={parameter_map!r}: give a dendrax.ParameterMap, a dict "
        "{name: Transform} or None."
    )


def _leaf_names(tree) -> list[str]:
    paths, _ = jax.tree_util.tree_flatten_with_path(tree)
    return [jax.tree_util.keystr(p, simple=True, separator=".") or "params" for p, _ in paths]


def _to_host(tree):
    return jax.tree_util.tree_map(np.asarray, tree)


def fit(
    loss_fn: Callable[[Any], Any],
    params,
    optimizer: optax.GradientTransformation,
    steps: int,
    *,
    parameter_map=None,
    patience: int | None = None,
    min_delta: float = 0.0,
    progress: bool = True,
    callback: Callable[[int, float, Any], Any] | None = None,
    description: str = "fit",
) -> FitResult:
    """Minimise ``loss_fn(params)`` with an optax optimiser.

    Args:
        loss_fn: pure JAX function of the params pytree (physical values) returning a scalar.
        params: initial physical values, e.g. ``parameter_map.init()``.
        optimizer: an ``optax`` gradient transformation, e.g. ``optax.adam(0.05)``. It steps in
            unconstrained space, so a learning rate of ~0.01-0.1 suits Sigmoid-bounded values.
        steps: the maximum number of optimiser steps (>= 1).
        parameter_map: a :class:`dendrax.ParameterMap` or ``{name: Transform}``: the transforms
            between physical and unconstrained values; None works on ``params`` directly.
        patience: stop after this many steps without the best loss improving by more than
            ``min_delta`` (units of the loss); None never stops early.
        min_delta: the improvement that resets the patience counter.
        progress: show a tqdm progress bar with the current loss.
        callback: ``callback(step, loss, params)`` after every step (``params`` physical, before
            the step's update); return True to stop.
        description: label of the progress bar.

    Returns:
        a :class:`FitResult` with the best parameters and the loss history.

    Raises:
        SimulationDiverged: if the loss or a gradient is NaN/inf; the message names the
            parameters with non-finite gradients and lists the values, and the exception carries
            ``.params``, ``.step`` and ``.history``.
    """
    from tqdm.auto import tqdm

    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"fit(steps={steps!r}): give a positive number of steps.")
    if patience is not None and (not isinstance(patience, (int, np.integer)) or patience < 1):
        raise ValueError(f"fit(patience={patience!r}): give a positive integer or None.")
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            f"fit(optimizer={optimizer!r}): give an optax optimiser, e.g. optax.adam(0.05)."
        )
    to_u, from_u = _maps(parameter_map)
    u = to_u(params)
    names = _leaf_names(u)
    leaves = jax.tree_util.tree_leaves(u)
    bad = [n for n, leaf in zip(names, leaves) if not np.all(np.isfinite(np.asarray(leaf)))]
    if bad:
        raise ValueError(
            f"fit: the initial value(s) of {bad} lie on or outside the bounds of their transform "
            "(the unconstrained value is not finite); start strictly inside the bounds."
        )
    extra_args = isinstance(optimizer, optax.GradientTransformationExtraArgs)

    def objective(u):
        return loss_fn(from_u(u))

    @jax.jit
    def step(u, opt_state):
        loss, grad = jax.value_and_grad(objective)(u)
        finite = [jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grad)]
        if extra_args:
            updates, opt_state = optimizer.update(
                grad, opt_state, u, value=loss, grad=grad, value_fn=objective
            )
        else:
            updates, opt_state = optimizer.update(grad, opt_state, u)
        return optax.apply_updates(u, updates), opt_state, loss, finite

    t0 = time.perf_counter()
    opt_state = optimizer.init(u)
    history: list[float] = []
    best_loss, best_u, best_step = math.inf, u, 0
    reference, waited, stopped = math.inf, 0, False
    bar = tqdm(total=int(steps), disable=not progress, desc=description, leave=True)
    try:
        for k in range(int(steps)):
            new_u, new_state, loss_arr, finite = step(u, opt_state)
            loss = float(loss_arr)
            finite_host = [bool(f) for f in finite]
            if not (math.isfinite(loss) and all(finite_host)):
                current = _to_host(from_u(u))
                raise SimulationDiverged(
                    describe_nonfinite(loss, dict(zip(names, finite_host)), _named(current), k),
                    step=k,
                    params=current,
                    history=history,
                )
            history.append(loss)
            if loss < best_loss:
                best_loss, best_u, best_step = loss, u, k
            if loss < reference - min_delta:
                reference, waited = loss, 0
            else:
                waited += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4g}", best=f"{best_loss:.4g}", refresh=False)
            stop = callback is not None and bool(callback(k, loss, from_u(u)))
            u, opt_state = new_u, new_state
            if stop or (patience is not None and waited >= patience):
                stopped = k + 1 < steps
                break
    finally:
        bar.close()
    return FitResult(
        params=_to_host(from_u(best_u)),
        last_params=_to_host(from_u(u)),
        history=np.asarray(history),
        best_loss=best_loss,
        best_step=best_step,
        stopped_early=stopped,
        seconds=time.perf_counter() - t0,
    )


def _named(tree) -> dict:
    if isinstance(tree, Mapping):
        return dict(tree)
    return dict(zip(_leaf_names(tree), jax.tree_util.tree_leaves(tree)))
