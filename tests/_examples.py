"""Loading a script of examples/ as a module in the tests (the examples are not a package)."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType


@contextlib.contextmanager
def loaded_example(path: Path, name: str) -> Iterator[ModuleType]:
    """The example script ``path`` executed as the module ``name``, registered in
    ``sys.modules`` while in use (dataclasses look their module up there)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
