"""Helpers shared by the runners: timing, memory, model loading and the JSON report.

Every runner is a separate process (``python benchmarks/run_<sim>.py model.json ...``) that
prints one JSON object on the last line of stdout and saves its recorded traces to an npz.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

T_START = time.perf_counter()  # as early as possible: the runners import this module first


def proc_status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (``VmRSS``, ``VmHWM``); 0 where unavailable."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib() -> float:
    """Resident set size now, MiB."""
    return proc_status_kib("VmRSS") / 1024.0


def reset_peak_rss() -> bool:
    """Reset the kernel's resident-set high-water mark (Linux >= 4.0); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def maxrss_mib() -> float:
    """Peak resident set size of this process so far (``ru_maxrss``), MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class PeakMemory:
    """Peak RSS while a block runs, measured with the VmHWM reset (falls back to ru_maxrss)."""

    def __enter__(self):
        self.before_mib = proc_status_kib("VmRSS") / 1024.0
        self.reset = reset_peak_rss()
        return self

    def __exit__(self, *exc):
        self.peak_mib = (
            proc_status_kib("VmHWM") / 1024.0 if self.reset else maxrss_mib()
        )  # fmt: skip
        self.extra_mib = self.peak_mib - self.before_mib
        return False


def parser(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("model", nargs="?", help="JSON model file (neuroref-case/1)")
    ap.add_argument("--repeats", type=int, default=5, help="timed steady-state runs")
    ap.add_argument("--traces", help="write the recorded traces to this npz file")
    ap.add_argument("--swc", help="instead of a model: time building a cell from this SWC file")
    ap.add_argument("--ncomp", type=int, default=None, help="compartments per branch (--swc)")
    return ap


def load_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def n_steps(model: dict) -> int:
    return int(round(model["tstop_ms"] / model["dt_ms"]))


def stim_per_step(model: dict, stim: dict) -> np.ndarray:
    """Current (nA) of an iclamp during each step, evaluated at the step midpoint."""
    n, dt = n_steps(model), model["dt_ms"]
    t_mid = (np.arange(n) + 0.5) * dt
    on = (t_mid >= stim["delay_ms"]) & (t_mid < stim["delay_ms"] + stim["dur_ms"])
    return np.where(on, float(stim["amp_nA"]), 0.0)


CPU_TIMES: list[float] = []  # process CPU time (all threads) of the latest time_repeats


def time_repeats(fn, repeats: int) -> list[float]:
    """Wall time (s) of ``repeats`` calls of ``fn`` (which must block until done).

    The process CPU time of each call (all threads, s) is left in ``CPU_TIMES``: on a shared
    machine it is far less disturbed by other work than the wall time.
    """
    out = []
    CPU_TIMES.clear()
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
        CPU_TIMES.append(time.process_time() - c0)
    return out


def save_traces(path: str | None, t: np.ndarray, traces: dict[str, np.ndarray]) -> None:
    if path:
        np.savez(path, t=np.asarray(t, dtype=np.float64), **{
            k: np.asarray(v, dtype=np.float64) for k, v in traces.items()
        })  # fmt: skip


def report(result: dict, model: dict | None = None, run_times: list[float] | None = None) -> None:
    """Fill in the derived numbers and print the result as one JSON line."""
    if model is not None:
        ncomp = int(sum(b["ncomp"] for b in model["branches"]))
        result.setdefault("model", model.get("name"))
        result["n_compartments"] = ncomp
        result["n_steps"] = n_steps(model)
    if run_times:
        med = statistics.median(run_times)
        result["run_s"] = med
        result["run_s_all"] = run_times
        result["run_s_min"] = min(run_times)
        if len(CPU_TIMES) == len(run_times):
            result["run_cpu_s"] = statistics.median(CPU_TIMES)
            result["run_cpu_s_all"] = list(CPU_TIMES)
        if model is not None:
            result["ns_per_comp_step"] = med / (result["n_compartments"] * result["n_steps"]) * 1e9
        if "first_call_s" in result:
            result["compile_s"] = max(result["first_call_s"] - med, 0.0)
    result["maxrss_mib"] = maxrss_mib()
    if "rss_after_import_mib" in result:
        result["peak_minus_import_mib"] = result["maxrss_mib"] - result["rss_after_import_mib"]
    result["loadavg_1min"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    result["loadavg"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    result["python"] = sys.version.split()[0]
    result["pid_cpus"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print(json.dumps(result))


def here() -> Path:
    return Path(__file__).resolve().parent
