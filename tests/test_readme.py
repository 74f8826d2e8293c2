"""The Python snippets of the README's "Use" section run as written.

A snippet that begins with an import starts a new script; any other snippet continues the
script before it (as the README says: "continuing the example above"). Each script runs in a
fresh Python process (``dx.use_cpu_cores()`` must come before any JAX computation) in a
temporary directory, with matplotlib's Agg backend.
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def use_scripts() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Use\n", 1)[1].split("\n## ", 1)[0]
    blocks = [
        textwrap.dedent(m.group(2))
        for m in re.finditer(r"^( *)```python\n(.*?)^\1```", section, re.S | re.M)
    ]
    scripts: list[str] = []
    for block in blocks:
        if block.lstrip().startswith(("import ", "from ")) or not scripts:
            scripts.append(block)
        else:
            scripts[-1] += "\n" + block
    return scripts


def test_the_use_section_has_its_snippets():
    scripts = use_scripts()
    assert len(scripts) == 5
    for name in ("spike_times", "save_model", "load_model", "plot_morphology", "plot_traces"):
        assert f"dx.{name}(" in scripts[0], name
    assert "dx.CurrentInput(" in scripts[1]
    assert "dx.batch_map(" in scripts[2]
    assert "dx.SEClamp" in scripts[3] and "set_ion(" in scripts[3]
    assert "dx.Network()" in scripts[4] and "dx.plot_raster(" in scripts[4]


@pytest.mark.parametrize("index", [0, 1, 2, 3, 4])
def test_use_snippet_runs_as_written(tmp_path, index):
    script = use_scripts()[index]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, f"{script}\n{out.stderr}"
    if index == 0:
        for name in ("traces.png", "cell.png", "model.json"):
            assert (tmp_path / name).stat().st_size > 0, name
    if index == 4:
        assert (tmp_path / "raster.png").stat().st_size > 0


def training_script() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Training: gradients through the simulation\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.search(r"^```python\n(.*?)^```", section, re.S | re.M).group(1)


def test_training_snippet_runs_and_the_loss_falls(tmp_path):
    script = training_script() + "\nassert fitted.history[-1] < 0.5 * fitted.history[0]\n"
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, f"{script}\n{out.stderr}"
    assert "('apical', 'soma')" in out.stdout
