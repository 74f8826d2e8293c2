"""Jaxley side of ``run_gradients.py``: gradient or batched-throughput timing of one model.

The cell is built by ``run_jaxley.build`` (same model JSON as dendrax). HH ``gNa``, ``gK`` and
``gLeak`` are made trainable as one shared value each (``cell.make_trainable``); the loss is the
MSE of the somatic trace against -65 mV, differentiated with ``jx.integrate(...,
checkpoint_lengths=...)`` at the sizes dendrax uses (``--checkpoint 80 50``).
``--mode batch --batch B``: ``jax.vmap`` of the simulation over B gnabar values;
``--devices N`` runs the same vmap with the batch split over N CPU devices
(``jax_num_cpu_devices``) by ``jax.shard_map``, each device vmapping its share: what
``dendrax.batch_map`` does, so that batched throughput on N devices compares like for like.
Batch mode compiles ahead of time (``compile_s`` = lowering + XLA compilation, timed apart
from the runs).
"""

from __future__ import annotations

import time

import _common as C
import numpy as np

V_TARGET = -65.0


def main() -> None:
    ap = C.parser(__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("grad", "batch"), default="grad")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--checkpoint", type=int, nargs="+", default=[80, 50])
    ap.add_argument("--devices", type=int, default=0, help="batch: shard over N CPU devices")
    args = ap.parse_args()

    import jax

    jax.config.update("jax_enable_x64", True)
    if args.devices:
        jax.config.update("jax_num_cpu_devices", args.devices)  # before any computation
    import jax.numpy as jnp
    import jaxley as jx
    from jaxley.channels import HH
    from run_jaxley import build

    rss_after_import = C.rss_mib()

    model = C.load_json(args.model)
    cell, _ = build(jx, HH, model)
    for name in ("HH_gNa", "HH_gK", "HH_gLeak"):
        cell.make_trainable(name, verbose=False)
    params = cell.get_parameters()
    dt = model["dt_ms"]
    result = {"simulator": "jaxley", "version": jx.__version__, "mode": args.mode}
    result["rss_after_import_mib"] = rss_after_import

    if args.mode == "batch":
        scales = jnp.linspace(0.5, 1.5, args.batch)
        batched = [
            {k: (v[None] * scales.reshape((-1,) + (1,) * v.ndim) if k == "HH_gNa" else v)}
            for d in params
            for k, v in d.items()
        ]
        axes = [{k: (0 if k == "HH_gNa" else None)} for d in params for k in d]

        def sim(q):
            return jx.integrate(cell, params=q, delta_t=dt, solver="bwd_euler")[0]

        def vmapped(p):
            return jax.vmap(sim, in_axes=(axes,))(p)

        if args.devices:
            from jax.sharding import Mesh, PartitionSpec

            devs = jax.devices()[: args.devices]
            assert len(devs) == args.devices, f"{len(devs)} devices, wanted {args.devices}"
            pad = -args.batch % args.devices  # pad with copies of the last member
            if pad:
                batched = [
                    {k: (jnp.concatenate([v, jnp.repeat(v[-1:], pad, 0)]) if a == 0 else v)}
                    for d, ad in zip(batched, axes)
                    for (k, v), a in zip(d.items(), ad.values())
                ]
            specs = [
                {k: PartitionSpec("batch") if a == 0 else PartitionSpec() for k, a in ad.items()}
                for ad in axes
            ]
            mesh = Mesh(np.asarray(devs), ("batch",))
            shard = jax.shard_map(
                vmapped,
                mesh=mesh,
                in_specs=(specs,),
                out_specs=PartitionSpec("batch"),
                check_vma=False,
            )
            run = jax.jit(lambda p: shard(p)[: args.batch])
            result.update(devices=args.devices, how="shard_map")
        else:
            run = jax.jit(vmapped)

        t0 = time.perf_counter()
        compiled = run.lower(batched).compile()
        compile_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = jax.block_until_ready(compiled(batched))
        first = time.perf_counter() - t0
        times = C.time_repeats(lambda: jax.block_until_ready(compiled(batched)), args.repeats)
        result.update(
            batch=args.batch,
            first_run_s=first,
            compile_s=compile_s,
            out_shape=list(out.shape),
            n_devices=len(jax.devices()),
        )
        if args.traces:  # the batch of traces, for the agreement check in run_gradients
            out = np.asarray(out)
            C.save_traces(args.traces, np.arange(out.shape[-1]) * model["dt_ms"], {"v": out})
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
