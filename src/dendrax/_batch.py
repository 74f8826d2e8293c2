"""Batches of simulations spread over devices with JAX's own sharding.

``jax.vmap`` runs a whole batch on one device. On a CPU, XLA then uses the other cores only
inside single operations, which for simulation-sized arrays gains nothing (measured on 2 cores:
the same wall time as one core, twice the CPU time). :func:`batch_map` instead splits the batch
across devices with ``jax.shard_map``, so every device (a GPU, or a group of CPU cores after
:func:`use_cpu_cores`) runs its own share; inside a share the members are vmapped, optionally
in chunks.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

_AXIS = "batch"


def use_cpu_cores(n: int | None = None) -> int:
    """Expose the CPU as ``n`` JAX devices (default: one per core this process may use), so
    that :func:`batch_map` runs ``n`` shares of a batch in parallel.

    Call it right after ``import dendrax``, before any JAX computation (JAX fixes its devices
    when it first runs something). Returns ``n``. Also settable without code through JAX's
    option ``JAX_NUM_CPU_DEVICES=n``.
    """
    if n is None:
        n = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1
        )
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise ValueError(f"use_cpu_cores(n={n!r}): give a positive integer number of devices.")
    try:
        jax.config.update("jax_num_cpu_devices", int(n))
    except RuntimeError:
        raise RuntimeError(
            "use_cpu_cores() must be called before JAX runs anything (it fixes its devices "
            "then): call it right after `import dendrax`, or start Python with "
            f"JAX_NUM_CPU_DEVICES={n}."
        ) from None
    return int(n)


def _batch_size(args: Sequence[Any], in_axes: Sequence[int | None]) -> int:
    sizes = set()
    for i, (a, ax) in enumerate(zip(args, in_axes)):
        if ax is None:
            continue
        for leaf in jax.tree_util.tree_leaves(a):
            shape = jnp.shape(leaf)
            if not shape:
                raise ValueError(
                    f"batch_map: argument {i} is batched (in_axes 0) but has a scalar leaf; "
                    "give every leaf a leading batch axis, or in_axes=None for this argument."
                )
            sizes.add(shape[0])
    if not sizes:
        raise ValueError("batch_map: no argument is batched; set in_axes=0 for at least one.")
    if len(sizes) > 1:
        raise ValueError(
            f"batch_map: the batched arguments disagree on the batch size: {sorted(sizes)}."
        )
    return sizes.pop()


def batch_map(
    fn: Callable,
    in_axes: int | None | Sequence[int | None] = 0,
    *,
    devices: Sequence[jax.Device] | None = None,
    chunk_size: int | None = None,
) -> Callable:
    """``fn`` mapped over a batch like ``jax.vmap(fn, in_axes)``, with the batch split across
    ``devices`` (default: every local device of the default backend).

    Args:
        fn: function of one batch member, e.g. ``lambda p: dx.simulate(pm.apply(system, p))``.
        in_axes: ``0`` (the argument's leaves carry the batch on their first axis) or ``None``
            (shared by every member), for all arguments or one entry per positional argument.
        devices: the devices to share the batch over (see :func:`use_cpu_cores` for the CPU).
        chunk_size: members vmapped together on a device at a time (``None``: the whole
            share). Smaller chunks keep the working set in cache and memory bounded.

    A batch that does not divide evenly is padded with copies of its last member, which are
    dropped from the result. The returned function is jitted; ``grad`` and ``vmap`` apply.
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"batch_map(chunk_size={chunk_size!r}): give a positive integer or None.")

    def run(*args):
        axes = tuple(in_axes) if isinstance(in_axes, list | tuple) else (in_axes,) * len(args)
        if len(axes) != len(args):
            raise ValueError(
                f"batch_map: in_axes has {len(axes)} entries for {len(args)} arguments."
            )
        bad = [a for a in axes if a not in (0, None)]
        if bad:
            raise ValueError(
                f"batch_map: in_axes entries must be 0 or None, got {bad}; move the batch "
                "axis to the front (e.g. with jnp.moveaxis) first."
            )
        devs = list(devices) if devices is not None else jax.local_devices()
        size = _batch_size(args, axes)
        per_device = math.ceil(size / len(devs))
        if chunk_size is not None:
            per_device = math.ceil(per_device / chunk_size) * chunk_size
        padded = per_device * len(devs)

        if padded > size:

            def pad(leaf):
                return jnp.concatenate([leaf, jnp.repeat(leaf[-1:], padded - size, axis=0)])

            args = tuple(
                jax.tree_util.tree_map(pad, a) if ax == 0 else a for a, ax in zip(args, axes)
            )

        def share(*local):
            if chunk_size is None:
                return jax.vmap(fn, in_axes=axes)(*local)
            batched = tuple(a for a, ax in zip(local, axes) if ax == 0)

            def member(xs):
                it = iter(xs)
                return fn(*(next(it) if ax == 0 else a for a, ax in zip(local, axes)))

            return jax.lax.map(member, batched, batch_size=chunk_size)

        mesh = Mesh(np.asarray(devs), (_AXIS,))
        specs = tuple(PartitionSpec(_AXIS) if ax == 0 else PartitionSpec() for ax in axes)
        out = jax.shard_map(
            share, mesh=mesh, in_specs=specs, out_specs=PartitionSpec(_AXIS), check_vma=False
        )(*args)
        return jax.tree_util.tree_map(lambda leaf: leaf[:size], out)

    return jax.jit(run)
