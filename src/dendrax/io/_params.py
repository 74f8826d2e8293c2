"""Trained parameters on disk: :func:`save_params` and :func:`load_params`.

A parameter set is what ``ParameterMap.init()``, ``dx.fit`` and optax training loops work on: a
(possibly nested) ``dict`` with string keys whose leaves are arrays or numbers. The file is a
NumPy ``.npz`` archive: one array per leaf, named by its key path joined with ``/``, plus one
JSON entry (``__dendrax_params__``) holding the format version, the key paths in order and the
caller's metadata (settings, seeds, accuracies: anything JSON can hold). Arrays keep their
dtype and shape exactly, so a reload reproduces the saved values bit for bit.
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Mapping
from typing import Any

import numpy as np

FORMAT = "dendrax-params/1"
_META = "__dendrax_params__"


def _flatten(tree: Any, path: tuple[str, ...], out: dict[str, np.ndarray]) -> None:
    where = "/".join(path) or "params"
    if isinstance(tree, Mapping):
        if not tree and path:
            raise ValueError(f"save_params: params[{where!r}] is an empty dict; drop it.")
        for key, value in tree.items():
            if not isinstance(key, str) or not key or "/" in key:
                raise ValueError(
                    f"save_params: key {key!r} in params[{where!r}] must be a non-empty string "
                    "without '/' (the file names each array by its key path joined with '/')."
                )
            _flatten(value, (*path, key), out)
        return
    try:
        array = np.asarray(tree)
    except Exception as e:  # noqa: BLE001 - reported with the path below
        raise TypeError(f"save_params: params[{where!r}] is not an array: {e}") from None
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"save_params: params[{where!r}] has dtype {array.dtype} ({type(tree).__name__}); "
            "give numbers or numeric arrays (nested dicts for structure)."
        )
    out[where] = array


def save_params(
    path: str | os.PathLike, params: Mapping[str, Any], metadata: Mapping | None = None
) -> None:
    """Write a parameter set (a dict of arrays, possibly nested) and JSON ``metadata`` to
    ``path`` (``.npz``; overwritten if it exists). Values are stored as given (physical or
    unconstrained: the caller decides; say which in ``metadata``).

    Raises:
        TypeError: ``params`` is not a dict, a leaf is not numeric, or ``metadata`` is not
            JSON-serialisable (the message names the entry).
        ValueError: a key is not a non-empty string without ``/``.
    """
    if not isinstance(params, Mapping):
        raise TypeError(
            f"save_params(params=...) takes a dict of arrays, got {type(params).__name__}."
        )
    arrays: dict[str, np.ndarray] = {}
    _flatten(params, (), arrays)
    if not arrays:
        raise ValueError("save_params: params is empty; there is nothing to save.")
    try:
        meta = json.dumps(
            {"format": FORMAT, "keys": list(arrays), "metadata": dict(metadata or {})}
        )
    except TypeError as e:
        raise TypeError(
            f"save_params: metadata must be JSON-serialisable (numbers, strings, lists, dicts): {e}"
        ) from None
    with open(path, "wb") as f:  # np.savez would append .npz to a path without it
        entries: dict[str, Any] = {_META: np.array(meta), **arrays}
        np.savez(f, **entries)


def load_params(path: str | os.PathLike) -> tuple[dict[str, Any], dict]:
    """``(params, metadata)`` from a file written by :func:`save_params`: the nested dict of
    ``jax.numpy`` arrays (dtypes and shapes as saved) and the metadata dict.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a dendrax parameter file (e.g. another ``.npz``).
    """
    import jax.numpy as jnp

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_params: no file {str(path)!r}.")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"load_params({str(path)!r}): not an .npz archive ({e}).") from None
    with archive:
        if _META not in archive.files:
            raise ValueError(
                f"load_params({str(path)!r}): not a dendrax parameter file (no {_META!r} entry); "
                "write it with dendrax.save_params."
            )
        meta = json.loads(str(archive[_META]))
        if meta.get("format") != FORMAT:
            raise ValueError(
                f"load_params({str(path)!r}): format {meta.get('format')!r}; this dendrax reads "
                f"{FORMAT!r}."
            )
        params: dict[str, Any] = {}
        for key in meta["keys"]:
            node = params
            *parents, leaf = key.split("/")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = jnp.asarray(archive[key])
    return params, meta["metadata"]
