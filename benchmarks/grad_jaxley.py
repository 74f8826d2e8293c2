"""Jaxley side of ``run_gradients.py``: gradient or batched-throughput timing of one model.

The cell is built by ``run_jaxley.build`` (same model JSON as dendrax). HH ``gNa``, ``gK`` and
``gLeak`` are made trainable as one shared value each (``cell.make_trainable``); the loss is the
MSE of the somatic trace against -65 mV, differentiated with ``jx.integrate(...,
checkpoint_lengths=...)`` at the sizes dendrax uses (``--checkpoint 80 50``).
``--mode batch --batch B``: ``jax.vmap`` of the simulation over B gnabar values.
"""

from __future__ import annotations

import time

import _common as C

V_TARGET = -65.0


def main() -> None:
    ap = C.parser(__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("grad", "batch"), default="grad")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--checkpoint", type=int, nargs="+", default=[80, 50])
    args = ap.parse_args()

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import jaxley as jx
    from jaxley.channels import HH
    from run_jaxley import build

    model = C.load_json(args.model)
    cell, _ = build(jx, HH, model)
    for name in ("HH_gNa", "HH_gK", "HH_gLeak"):
        cell.make_trainable(name, verbose=False)
    params = cell.get_parameters()
    dt = model["dt_ms"]
    result = {"simulator": "jaxley", "version": jx.__version__, "mode": args.mode}

    if args.mode == "batch":
        scales = jnp.linspace(0.5, 1.5, args.batch)
        batched = [
            {k: (v[None] * scales.reshape((-1,) + (1,) * v.ndim) if k == "HH_gNa" else v)}
            for d in params
            for k, v in d.items()
        ]
        axes = [{k: (0 if k == "HH_gNa" else None)} for d in params for k in d]

        @jax.jit
        def run(p):
            sim = lambda q: jx.integrate(cell, params=q, delta_t=dt, solver="bwd_euler")[0]  # noqa: E731
            return jax.vmap(sim, in_axes=(axes,))(p)

        t0 = time.perf_counter()
        out = jax.block_until_ready(run(batched))
        first = time.perf_counter() - t0
        times = C.time_repeats(lambda: jax.block_until_ready(run(batched)), args.repeats)
        result.update(batch=args.batch, first_call_s=first, out_shape=list(out.shape))
        C.report(result, model, times)
        return

    def loss(p, checkpoint):
        v = jx.integrate(
            cell, params=p, delta_t=dt, solver="bwd_euler", checkpoint_lengths=checkpoint
        )[0]
        return jnp.mean((v - V_TARGET) ** 2)

    grad = jax.jit(jax.value_and_grad(lambda p: loss(p, args.checkpoint)))
    t0 = time.perf_counter()
    val, g = jax.block_until_ready(grad(params))
    first = time.perf_counter() - t0
    times = C.time_repeats(lambda: jax.block_until_ready(grad(params)), args.repeats)
    cpu = list(C.CPU_TIMES)
    result.update(
        checkpoint_sizes=list(args.checkpoint),
        loss=float(val),
        grad={k: float(jnp.ravel(v)[0]) for d in g for k, v in d.items()},
        grad_first_call_s=first,
        grad_maxrss_mib=C.maxrss_mib(),
    )
    fwd = jax.jit(lambda p: loss(p, args.checkpoint))
    t0 = time.perf_counter()
    jax.block_until_ready(fwd(params))
    fwd_first = time.perf_counter() - t0
    fwd_times = C.time_repeats(lambda: jax.block_until_ready(fwd(params)), args.repeats)
    result.update(
        fwd_first_call_s=fwd_first,
        fwd_s=sorted(fwd_times)[len(fwd_times) // 2],
        fwd_s_all=fwd_times,
        fwd_cpu_s_all=list(C.CPU_TIMES),
    )
    C.CPU_TIMES[:] = cpu
    result["first_call_s"] = first
    C.report(result, model, times)


if __name__ == "__main__":
    main()
