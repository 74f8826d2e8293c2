"""How well-conditioned is the evidence-integration gradient? The example's loss and gradient
for one batch (its initial parameters, and optionally the trained ones) computed in float32 and
in float64, at two trial lengths; writes the relative differences and cosine similarities to
``benchmarks/tasks/grad_precision.json``.

``python benchmarks/tasks/grad_precision.py [--stim-ms 80 500] [--batch 16]``
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLE = ROOT / "examples" / "evidence_integration.py"
TRAINED = ROOT / "examples" / "results" / "evidence_integration" / "params.npz"


def load_example():
    spec = importlib.util.spec_from_file_location("evidence_integration", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def flat(g) -> np.ndarray:  # noqa: F821
    import jax
    import numpy as np

    return np.concatenate(
        [np.ravel(np.asarray(v, dtype=float)) for v in jax.tree_util.tree_leaves(g)]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stim-ms", type=float, nargs="+", default=[80.0, 500.0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--out", default=str(HERE / "grad_precision.json"))
    args = ap.parse_args()
    import jax
    import jax.numpy as jnp
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    ev = load_example()
    rows = []
    for stim in args.stim_ms:
        for which in ("initial", "trained"):
            per = {}
            for dtype in ("float32", "float64"):
                s = dataclasses.replace(ev.FULL, stim_ms=stim, batch=args.batch, dtype=dtype)
                model = ev.build_model(s)
                u = ev.init_params(model, s) if which == "initial" else ev.load_params(TRAINED)[0]
                x, y = ev.make_trials(np.random.default_rng(123), s.batch, s)
                t0 = time.perf_counter()
                loss, _, g = ev.grad_step(model, u, jnp.asarray(x), jnp.asarray(y))
                per[dtype] = (float(loss), flat(g), time.perf_counter() - t0)
            (l32, g32, _), (l64, g64, _) = per["float32"], per["float64"]
            row = {
                "stim_ms": stim,
                "params": which,
                "loss_float32": l32,
                "loss_float64": l64,
                "loss_rel_diff": abs(l32 - l64) / abs(l64),
                "grad_rel_diff": float(np.linalg.norm(g32 - g64) / np.linalg.norm(g64)),
                "grad_cosine": float(g32 @ g64 / (np.linalg.norm(g32) * np.linalg.norm(g64))),
                "grad_norm_float64": float(np.linalg.norm(g64)),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    load = [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    out = {"batch": args.batch, "trial_seed": 123, "trained_params": str(TRAINED.relative_to(ROOT)),
           "rows": rows, "loadavg_end": load, "jax": jax.__version__}  # fmt: skip
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
