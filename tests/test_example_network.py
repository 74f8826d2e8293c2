"""examples/ei_network.py at its --quick size (a gradient step lowers the loss, the raster is
not empty, the figure is written), and the Python blocks of docs/networks.md run as written
(under -m slow)."""

import json
import re
import textwrap
from pathlib import Path

import matplotlib
import pytest
from _examples import loaded_example

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ei_network.py"
DOCS = ROOT / "docs" / "networks.md"
# the sections of docs/networks.md whose blocks run here (the worked example's block is an
# excerpt of examples/ei_network.py, tested above)
RUN_SECTIONS = ("Describe, compile, simulate", "Gradients", "Batches")


@pytest.fixture(scope="module")
def example():
    with loaded_example(EXAMPLE, "ei_network") as module:
        yield module


@pytest.mark.slow  # ~30 s on 2 cores; the README's network snippet runs in the default suite
def test_quick_example_gradient_step_lowers_the_loss(example, tmp_path):
    summary = example.main(["--quick", "--out", str(tmp_path)])
    assert summary["n_cells"] == 20 and summary["n_spikes"] > 0
    assert summary["rate_e_hz"] > 0 and summary["rate_i_hz"] > 0
    assert summary["loss_after"] < 0.9 * summary["loss_before"]
    assert summary["rate_e_after_hz"] < summary["rate_e_hz"]  # the exact spikes agree
    assert (tmp_path / "ei_network.png").stat().st_size > 10_000
    stored = json.loads((tmp_path / "ei_network.json").read_text())
    assert stored["loss_after"] == summary["loss_after"]


def doc_scripts() -> list[str]:
    """The ``python`` blocks of RUN_SECTIONS; a block that begins with an import starts a new
    script, any other continues the one before."""
    text = DOCS.read_text(encoding="utf-8")
    scripts: list[str] = []
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        if not section.startswith(RUN_SECTIONS):
            continue
        for m in re.finditer(r"^```python\n(.*?)^```", section, re.S | re.M):
            block = textwrap.dedent(m.group(1))
            if block.lstrip().startswith(("import ", "from ")) or not scripts:
                scripts.append(block)
            else:
                scripts[-1] += "\n" + block
    return scripts


def test_docs_have_their_examples():
    scripts = doc_scripts()
    assert len(scripts) == 2
    for name in ("dx.Network()", "dx.plot_raster(", "jax.grad(", "SurrogateSpike(", "jax.vmap("):
        assert name in scripts[0], name
    assert 'dx.SpikeInput("trains")' in scripts[1]


@pytest.mark.slow  # ~50 s of CPU on 2 cores (four compiled programs); CI runs it
def test_docs_examples_run(tmp_path, monkeypatch):
    """Each script runs as written in its own namespace (in this process, to pay for the import
    once), followed by a check of what it shows."""
    monkeypatch.chdir(tmp_path)
    checks = [
        "assert times.size > 0 and set(np.unique(cells)) <= set(range(10))\n"
        "assert first.size > 0 and len(grads) == len(system.events.inboxes)\n"
        "assert all(bool(jnp.all(jnp.isfinite(g))) for g in grads)\n"
        "assert counts.shape == (3, 10) and counts[2].sum() >= counts[0].sum()\n",
        "assert counts.tolist() == [[2, 1, 0], [2, 1, 0], [0, 0, 0]]\n",
    ]
    for script, check in zip(doc_scripts(), checks):
        exec(compile(script + "\n" + check, str(DOCS), "exec"), {"__name__": "__docs__"})
    assert (tmp_path / "raster.png").stat().st_size > 0
    assert (tmp_path / "traces.png").stat().st_size > 0
