"""Imports run one way: morphology, mechanisms <- solve <- train <- model <- io <- viz/cli.

Read from the source text (every ``from ..pkg`` / ``from dendrax.pkg`` import, also the ones
inside functions), so a new upward import fails here with the file and the line.
"""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "dendrax"
LEVEL = {"morphology": 0, "mechanisms": 0, "solve": 1, "train": 2, "model": 3, "io": 4, "viz": 5}
# Deliberate exceptions, each with its reason.
ALLOWED = {
    ("morphology/_morphology.py", "model"): "Morphology.to_cell(), a convenience that builds a "
    "model.Cell; imported lazily inside the method (and for type checking only at the top)",
}
IMPORT = re.compile(r"^\s*from\s+(\.+|dendrax\.)([a-z_]+)", re.M)


def test_packages_import_only_downwards():
    bad = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if len(rel.parts) < 2 or rel.parts[0] not in LEVEL:
            continue  # top-level modules (cli, __init__, ...) may import anything
        here = rel.parts[0]
        text = path.read_text(encoding="utf-8")
        for m in IMPORT.finditer(text):
            dots, target = m.group(1), m.group(2)
            if dots.startswith(".") and len(dots) < len(rel.parts):
                continue  # a relative import inside the same package
            if (str(rel), target) in ALLOWED:
                continue
            if target in LEVEL and target != here and LEVEL[target] >= LEVEL[here]:
                line = text[: m.start()].count("\n") + 1
                bad.append(f"{rel}:{line} imports {target} (level {LEVEL[target]} >= {here})")
    assert not bad, "\n".join(bad)
