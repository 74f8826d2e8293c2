"""``fit``: gradient descent on any loss of the parameters, with optax, in unconstrained space.

    pm = dendrax.ParameterMap(system, [Trainable("gna", (dendrax.HH, "gnabar"),
                                                       transform=dendrax.Sigmoid(0.01, 0.5))])

    def loss(params):
        traces = dendrax.simulate(pm.apply(system, params)).traces
        return dendrax.mse(traces["v_soma"], target)

    result = dendrax.fit(loss, pm.init(), optax.adam(0.05), steps=200, parameter_map=pm,
                         patience=20)
    result.params, result.history

    # the robust default of `dendrax fit` (docs/fitting.md): Adam, then L-BFGS, 4 starts
    result = dendrax.fit(loss, pm.init(), dendrax.adam_then_lbfgs(), parameter_map=pm,
                         n_starts=4, seed=0)

The optimiser steps on ``u = transform.inverse(x)`` for every parameter ``x`` (see
:mod:`dendrax.train._transforms`), so bounded parameters never leave their range. Each step is
one jit-compiled ``value_and_grad`` plus the optimiser update; the loss comes back to the host
every step for the history, the progress bar, early stopping and the divergence check.

A fit may run several :class:`Phase` s one after another (each an optax optimiser with its own
number of steps and early stopping), and from several starts (``n_starts``): the first start is
the given ``params``, the others are drawn at random (seeded) inside the bounds; the start with
the lowest loss wins.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._divergence import SimulationDiverged, describe_nonfinite
from ._transforms import Chain, LogSigmoid, Sigmoid, Transform


@dataclasses.dataclass(frozen=True)
class Phase:
    """One stage of a fit: an optax optimiser run for at most ``steps`` steps.

    Attributes:
        optimizer: an optax gradient transformation. Optimisers that take extra arguments
            (``optax.lbfgs``: a line search on the loss) get ``value``, ``grad`` and
            ``value_fn``; those that keep the loss and gradient in their state (L-BFGS with
            its line search) reuse them, so a step costs the line search's evaluations only.
        steps: the maximum number of steps of this phase (>= 1).
        name: a label for the progress bar and :attr:`FitResult.phase_names`.
        patience: end the phase after this many steps without the best loss of the phase
            improving by more than ``min_delta``; None takes :func:`fit`'s ``patience``.
        min_delta: the improvement (loss units) that resets the patience counter; None takes
            :func:`fit`'s ``min_delta``.
    """

    optimizer: optax.GradientTransformation
    steps: int
    name: str = "phase"
    patience: int | None = None
    min_delta: float | None = None


def adam_then_lbfgs(
    adam_steps: int = 100,
    lbfgs_steps: int = 200,
    *,
    learning_rate: float = 0.1,
    final_fraction: float = 0.1,
    memory_size: int = 20,
    lbfgs_patience: int | None = 20,
) -> tuple[Phase, Phase]:
    """The default optimiser of ``dendrax fit`` (docs/fitting.md, with the measurements):

    1. Adam with a cosine-decaying learning rate (``learning_rate`` -> ``final_fraction`` x
       it over ``adam_steps``), robust far from the optimum where the loss is rough;
    2. L-BFGS (``optax.lbfgs``, ``memory_size`` pairs, zoom line search of at most 15
       evaluations), which learns the correlations between parameters that make Adam crawl
       near the optimum; it ends after ``lbfgs_patience`` steps without improvement.

    The learning rate is in unconstrained units: 0.1 moves a bounded value by about 2.5 % of
    its (log) range per step at mid-range.
    """
    if adam_steps < 0 or lbfgs_steps < 0 or adam_steps + lbfgs_steps < 1:
        raise ValueError(
            f"adam_then_lbfgs(adam_steps={adam_steps}, lbfgs_steps={lbfgs_steps}): give "
            "non-negative step counts, at least one step in all."
        )
    phases = []
    if adam_steps:
        schedule = optax.cosine_decay_schedule(learning_rate, adam_steps, final_fraction)
        phases.append(Phase(optax.adam(schedule), adam_steps, "adam"))
    if lbfgs_steps:
        phases.append(Phase(lbfgs(memory_size), lbfgs_steps, "lbfgs", patience=lbfgs_patience))
    return tuple(phases)  # type: ignore[return-value]


def lbfgs(memory_size: int = 20, max_linesearch_steps: int = 15) -> optax.GradientTransformation:
    """``optax.lbfgs`` with a zoom line search that starts from a unit step: the L-BFGS of
    :func:`adam_then_lbfgs`."""
    return optax.lbfgs(
        memory_size=memory_size,
        linesearch=optax.scale_by_zoom_linesearch(
            max_linesearch_steps=max_linesearch_steps, initial_guess_strategy="one"
        ),
    )


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What :func:`fit` found.

    Attributes:
        params: physical parameter values with the lowest loss seen (``history[best_step]``).
        last_params: the values after the last optimiser update (their loss was not evaluated).
        history: the loss at every step, evaluated before that step's update (NumPy array), of
            the winning start; all phases one after another.
        best_loss: ``history[best_step]``.
        best_step: the step of ``params``.
        stopped_early: True if early stopping (or the callback) ended the last phase before
            its ``steps``.
        seconds: wall-clock time of the whole fit (all starts), compilation included.
        phase: the phase index of every entry of ``history``.
        phase_names: the names of the phases.
        evaluations: loss-and-gradient evaluations of the winning start (line-search trials
            included).
        start: the index of the winning start (0: the given ``params``).
        start_losses: the best loss of every start (``inf`` for one that diverged).
        start_histories: the loss history of every start.
        start_params: the best physical values of every start (None for one that diverged).
    """

    params: Any
    last_params: Any
    history: np.ndarray
    best_loss: float
    best_step: int
    stopped_early: bool
    seconds: float
    phase: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=int))
    phase_names: tuple[str, ...] = ()
    evaluations: int = 0
    start: int = 0
    start_losses: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    start_histories: tuple[np.ndarray, ...] = ()
    start_params: tuple[Any, ...] = ()


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


def _is_bounded(t: Any) -> bool:
    """True for a transform onto a finite interval (random starts are drawn inside it)."""
    if isinstance(t, (Sigmoid, LogSigmoid)):
        return True
    return isinstance(t, Chain) and any(_is_bounded(x) for x in t.transforms)


def _bounded_names(parameter_map) -> set[str]:
    if parameter_map is None:
        return set()
    if isinstance(parameter_map, Mapping):
        return {k for k, t in parameter_map.items() if _is_bounded(t)}
    entries = getattr(parameter_map, "entries", ())
    return {e.name for e in entries if _is_bounded(e.transform)}


def _leaf_names(tree) -> list[str]:
    paths, _ = jax.tree_util.tree_flatten_with_path(tree)
    return [jax.tree_util.keystr(p, simple=True, separator=".") or "params" for p, _ in paths]


def _to_host(tree):
    return jax.tree_util.tree_map(np.asarray, tree)


def _strong(tree):
    """The same values without weak types: optax's initial L-BFGS state has weakly typed
    scalars, the updated state has none, which would make a jitted step compile twice."""
    return jax.tree_util.tree_map(lambda x: jnp.asarray(x, dtype=jnp.result_type(x)), tree)


def _phases(optimizer, steps) -> tuple[Phase, ...]:
    if isinstance(optimizer, optax.GradientTransformation):
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"fit(steps={steps!r}): give a positive number of steps.")
        return (Phase(optimizer, int(steps), "fit"),)
    if isinstance(optimizer, Phase):
        optimizer = (optimizer,)
    if (
        isinstance(optimizer, Sequence)
        and optimizer
        and all(isinstance(p, Phase) for p in optimizer)
    ):
        if steps is not None:
            raise ValueError(
                f"fit(steps={steps!r}): with a list of Phases each phase has its own steps; "
                "leave steps=None."
            )
        for i, p in enumerate(optimizer):
            if not isinstance(p.optimizer, optax.GradientTransformation):
                raise TypeError(f"fit: phase {i} ({p.name}): give an optax optimiser.")
            if isinstance(p.steps, bool) or not isinstance(p.steps, (int, np.integer)):
                raise ValueError(f"fit: phase {i} ({p.name}): steps={p.steps!r} is not an int.")
            if p.steps < 1:
                raise ValueError(f"fit: phase {i} ({p.name}): steps={p.steps} must be >= 1.")
            if p.patience is not None and p.patience < 1:
                raise ValueError(f"fit: phase {i} ({p.name}): patience={p.patience} must be >= 1.")
        return tuple(optimizer)
    raise TypeError(
        f"fit(optimizer={optimizer!r}): give an optax optimiser, e.g. optax.adam(0.05), or a "
        "list of dendrax.Phase (e.g. dendrax.adam_then_lbfgs())."
    )


def fit(
    loss_fn: Callable[[Any], Any],
    params,
    optimizer: optax.GradientTransformation | Phase | Sequence[Phase],
    steps: int | None = None,
    *,
    parameter_map=None,
    patience: int | None = None,
    min_delta: float = 0.0,
    progress: bool = True,
    callback: Callable[[int, float, Any], Any] | None = None,
    description: str = "fit",
    n_starts: int = 1,
    seed: int = 0,
    start_range: float = 2.0,
    stop_loss: float | None = None,
) -> FitResult:
    """Minimise ``loss_fn(params)`` with optax optimisers, from one or several starts.

    Args:
        loss_fn: pure JAX function of the params pytree (physical values) returning a scalar.
        params: initial physical values, e.g. ``parameter_map.init()``.
        optimizer: an ``optax`` gradient transformation, e.g. ``optax.adam(0.05)``, run for
            ``steps`` steps; or a :class:`Phase` or a list of them, run one after another
            (each with its own steps), e.g. :func:`adam_then_lbfgs`. It steps in unconstrained
            space, so a learning rate of ~0.01-0.1 suits Sigmoid-bounded values.
        steps: the maximum number of optimiser steps (>= 1) of a single optimiser; None with
            phases.
        parameter_map: a :class:`dendrax.ParameterMap` or ``{name: Transform}``: the transforms
            between physical and unconstrained values; None works on ``params`` directly.
        patience: stop (a phase) after this many steps without the best loss improving by more
            than ``min_delta`` (units of the loss); None never stops early. A Phase's own
            ``patience`` takes precedence.
        min_delta: the improvement that resets the patience counter.
        progress: show a tqdm progress bar with the current loss.
        callback: ``callback(step, loss, params)`` after every step (``params`` physical, before
            the step's update; ``step`` counts across phases, from 0 again for every start);
            return True to stop that start.
        description: label of the progress bar.
        n_starts: the number of starts (>= 1). Start 0 is ``params``; every other start draws
            the unconstrained value of each parameter with a bounded transform (``Sigmoid``,
            ``LogSigmoid``, or a ``Chain`` containing one) uniformly in ``[-start_range,
            start_range]`` (2: the middle 76 % of the range, on the transform's scale) and
            keeps ``params`` for the others. The start with the lowest loss wins.
        seed: the seed of the random starts (NumPy ``default_rng``).
        start_range: see ``n_starts``.
        stop_loss: end a start as soon as its loss is <= this (loss units); None: never.

    Returns:
        a :class:`FitResult` with the best parameters and the loss history.

    Raises:
        SimulationDiverged: if the loss or a gradient is NaN/inf; the message names the
            parameters with non-finite gradients and lists the values, and the exception carries
            ``.params``, ``.step`` and ``.history``. With several starts, a start that diverges
            is recorded (``start_losses`` = inf) and the others go on; the error is raised
            only if every start diverges.
    """
    from tqdm.auto import tqdm

    phases = _phases(optimizer, steps)
    if patience is not None and (not isinstance(patience, (int, np.integer)) or patience < 1):
        raise ValueError(f"fit(patience={patience!r}): give a positive integer or None.")
    if isinstance(n_starts, bool) or not isinstance(n_starts, (int, np.integer)) or n_starts < 1:
        raise ValueError(f"fit(n_starts={n_starts!r}): give a positive integer.")
    if not (math.isfinite(start_range) and start_range > 0):
        raise ValueError(f"fit(start_range={start_range!r}): give a positive number.")
    to_u, from_u = _maps(parameter_map)
    u0 = to_u(params)
    names = _leaf_names(u0)
    leaves = jax.tree_util.tree_leaves(u0)
    bad = [n for n, leaf in zip(names, leaves) if not np.all(np.isfinite(np.asarray(leaf)))]
    if bad:
        raise ValueError(
            f"fit: the initial value(s) of {bad} lie on or outside the bounds of their transform "
            "(the unconstrained value is not finite); start strictly inside the bounds."
        )
    bounded = _bounded_names(parameter_map)
    if n_starts > 1 and not (isinstance(u0, Mapping) and bounded & set(u0)):
        raise ValueError(
            f"fit(n_starts={n_starts}): random starts are drawn inside the bounds of the "
            "parameters, and none has a bounded transform (Sigmoid, LogSigmoid); give bounds "
            "or n_starts=1."
        )

    def objective(u):
        return loss_fn(from_u(u))

    steppers = [_stepper(p.optimizer, objective) for p in phases]
    rng = np.random.default_rng(seed)
    starts = [u0]
    for _ in range(n_starts - 1):
        draw = dict(u0)
        for key in sorted(bounded & set(u0)):
            ref = jnp.asarray(u0[key])
            values = rng.uniform(-start_range, start_range, size=ref.shape)
            draw[key] = jnp.asarray(values, dtype=ref.dtype)
        starts.append(draw)

    t0 = time.perf_counter()
    total = n_starts * sum(p.steps for p in phases)
    bar = tqdm(total=total, disable=not progress, desc=description, leave=True)
    runs: list[dict | None] = []
    first_error: SimulationDiverged | None = None
    try:
        for i, u in enumerate(starts):
            label = description if n_starts == 1 else f"{description} {i + 1}/{n_starts}"
            try:
                runs.append(
                    _run_start(
                        u,
                        phases,
                        steppers,
                        from_u,
                        names,
                        bar,
                        label,
                        patience,
                        min_delta,
                        callback,
                        stop_loss,
                    )  # fmt: skip
                )
            except SimulationDiverged as e:
                if n_starts == 1:
                    raise
                first_error = first_error or e
                runs.append(None)
    finally:
        bar.close()
    done = [(r["best_loss"], i) for i, r in enumerate(runs) if r is not None]
    if not done:
        assert first_error is not None
        raise first_error
    _, win = min(done)
    best = runs[win]
    assert best is not None
    return FitResult(
        params=_to_host(from_u(best["best_u"])),
        last_params=_to_host(from_u(best["u"])),
        history=np.asarray(best["history"]),
        best_loss=best["best_loss"],
        best_step=best["best_step"],
        stopped_early=best["stopped"],
        seconds=time.perf_counter() - t0,
        phase=np.asarray(best["phase"], dtype=int),
        phase_names=tuple(p.name for p in phases),
        evaluations=best["evaluations"],
        start=win,
        start_losses=np.array([math.inf if r is None else r["best_loss"] for r in runs]),
        start_histories=tuple(np.zeros(0) if r is None else np.asarray(r["history"]) for r in runs),
        start_params=tuple(None if r is None else _to_host(from_u(r["best_u"])) for r in runs),
    )


def _stepper(optimizer: optax.GradientTransformation, objective: Callable):
    """``(init, step)``: the optimiser's (strongly typed) initial state and one jitted step
    ``(u, state) -> (new_u, new_state, loss of u, finite flags of the gradient, evaluations)``."""
    extra_args = isinstance(optimizer, optax.GradientTransformationExtraArgs)

    def init(u):
        return _strong(optimizer.init(u))

    @jax.jit
    def step(u, opt_state):
        if extra_args and _reuses_value(opt_state):
            loss, grad = optax.value_and_grad_from_state(objective)(u, state=opt_state)
        else:
            loss, grad = jax.value_and_grad(objective)(u)
        finite = [jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grad)]
        if extra_args:
            updates, opt_state = optimizer.update(
                grad, opt_state, u, value=loss, grad=grad, value_fn=objective
            )
        else:
            updates, opt_state = optimizer.update(grad, opt_state, u)
        n_evals = _tree_get(opt_state, "num_linesearch_steps")
        return (optax.apply_updates(u, updates), opt_state, loss, finite,
                jnp.asarray(1) if n_evals is None else n_evals)  # fmt: skip

    return init, step


def _run_start(u, phases, steppers, from_u, names, bar, label, patience, min_delta, callback,
               stop_loss) -> dict:  # fmt: skip
    history: list[float] = []
    phase_of: list[int] = []
    best_loss, best_u, best_step = math.inf, u, 0
    evaluations, stopped, k = 0, False, 0
    for j, (phase, (init, step)) in enumerate(zip(phases, steppers)):
        opt_state = init(u)
        wait_limit = phase.patience if phase.patience is not None else patience
        delta = phase.min_delta if phase.min_delta is not None else min_delta
        reference, waited, stopped, end_all = math.inf, 0, False, False
        reuses_value = _reuses_value(opt_state)
        bar.set_description(f"{label} ({phase.name})" if len(phases) > 1 else label)
        for s in range(phase.steps):
            new_u, new_state, loss_arr, finite, n_evals = step(u, opt_state)
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
            evaluations += int(n_evals) + (1 if reuses_value and s == 0 else 0)
            history.append(loss)
            phase_of.append(j)
            if loss < best_loss:
                best_loss, best_u, best_step = loss, u, k
            if loss < reference - delta:
                reference, waited = loss, 0
            else:
                waited += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4g}", best=f"{best_loss:.4g}", refresh=False)
            stop = callback is not None and bool(callback(k, loss, from_u(u)))
            u, opt_state = new_u, new_state
            k += 1
            if stop or (stop_loss is not None and loss <= stop_loss):
                stopped, end_all = s + 1 < phase.steps or j + 1 < len(phases), True
                break
            if wait_limit is not None and waited >= wait_limit:
                stopped = s + 1 < phase.steps
                break
        bar.update(phase.steps - s - 1)
        if end_all:
            bar.update(sum(p.steps for p in phases[j + 1 :]))
            break
    return {
        "u": u,
        "best_u": best_u,
        "best_loss": best_loss,
        "best_step": best_step,
        "history": history,
        "phase": phase_of,
        "evaluations": evaluations,
        "stopped": stopped,
    }


def _tree_get(state, key: str):
    """The one entry ``key`` of an optimiser state, or None (absent or ambiguous)."""
    try:
        return optax.tree_utils.tree_get(state, key)
    except KeyError:
        return None


def _reuses_value(state) -> bool:
    """True for optimiser states that carry the loss and gradient (optax's L-BFGS line search):
    their step reuses them, and the first step evaluates the start once more."""
    return _tree_get(state, "value") is not None and _tree_get(state, "grad") is not None


def _named(tree) -> dict:
    if isinstance(tree, Mapping):
        return dict(tree)
    return dict(zip(_leaf_names(tree), jax.tree_util.tree_leaves(tree)))
