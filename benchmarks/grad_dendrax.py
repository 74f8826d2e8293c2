"""dendrax side of ``run_gradients.py``: gradient or batched-throughput timing of one model.

``python benchmarks/grad_dendrax.py model.json --mode grad [--repeats N]``: jitted
``value_and_grad`` of the MSE of the somatic trace against -65 mV with respect to HH gnabar,
gkbar and gl (one shared value each), ``checkpoint_levels=2``; then the jitted forward loss.
``--mode batch --batch B``: ``jax.vmap`` of the simulation over B gnabar values;
``--devices N [--chunk C]`` runs the same batch with ``dendrax.batch_map`` over N CPU devices
(``dendrax.use_cpu_cores(N)``, chunks of C members per device). Batch mode compiles ahead of
time (``compile_s`` = lowering + XLA compilation, timed apart from the runs).
Prints one JSON line. ``maxrss_mib`` in grad mode is taken right after the gradient runs.
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
    ap.add_argument("--levels", type=int, default=2)
    ap.add_argument("--devices", type=int, default=0, help="batch_map over N CPU devices")
    ap.add_argument("--chunk", type=int, default=None, help="batch_map chunk size")
    args = ap.parse_args()

    import dendrax as dx

    if args.devices:
        dx.use_cpu_cores(args.devices)
    import jax
    import jax.numpy as jnp

    from dendrax.io._model_json import load_model
    from dendrax.solve._simulate import checkpoint_levels_for

    rss_after_import = C.rss_mib()

    model = C.load_json(args.model)
    cell, opts = load_model(args.model)
    system = dx.compile(cell, **opts)
    T = dx.Trainable
    pm = dx.ParameterMap(
        system,
        [T("gnabar", (dx.HH, "gnabar")), T("gkbar", (dx.HH, "gkbar")), T("gl", (dx.HH, "gl"))],
    )
    params = pm.init()
    key = model["recordings"][0]["key"]
    result = {"simulator": "dendrax", "version": dx.__version__, "mode": args.mode}
    result["rss_after_import_mib"] = rss_after_import

    if args.mode == "batch":
        scales = jnp.linspace(0.5, 1.5, args.batch)
        batched = dict(params)
        batched["gnabar"] = params["gnabar"][None, :] * scales[:, None]

        if args.devices:
            batched = {"gnabar": batched["gnabar"]}  # the batched entry; the rest are defaults
            run = dx.batch_map(
                lambda q: dx.simulate(pm.apply(system, {**params, **q}))[key],
                chunk_size=args.chunk,
            )
            result.update(devices=args.devices, chunk=args.chunk)
        else:

            @jax.jit
            def run(p):
                axes = {k: (0 if k == "gnabar" else None) for k in p}
                return jax.vmap(lambda q: dx.simulate(pm.apply(system, q))[key], in_axes=(axes,))(p)

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

    levels = checkpoint_levels_for(system.n_steps, args.levels)

    def loss(p, checkpoint_levels):
        v = dx.simulate(pm.apply(system, p), checkpoint_levels=checkpoint_levels)[key]
        return jnp.mean((v - V_TARGET) ** 2)

    grad = jax.jit(jax.value_and_grad(lambda p: loss(p, args.levels)))
    t0 = time.perf_counter()
    val, g = jax.block_until_ready(grad(params))
    first = time.perf_counter() - t0
    times = C.time_repeats(lambda: jax.block_until_ready(grad(params)), args.repeats)
    cpu = list(C.CPU_TIMES)
    result.update(
        checkpoint_sizes=list(levels),
        loss=float(val),
        grad={k: float(jnp.ravel(v)[0]) for k, v in g.items()},
        grad_first_call_s=first,
        grad_maxrss_mib=C.maxrss_mib(),
    )
    fwd = jax.jit(lambda p: loss(p, args.levels))
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
