"""Where a benchmark number came from: git state, date, machine, load and package versions.

Every results file the runners write carries ``provenance()`` under the key ``"provenance"``,
and is also kept as ``results/runs/<date>-<commit>[-dirty]-<kind>.json`` (``store_run``), so
that every figure quoted in the docs can be traced to (and recomputed from) a stored run with
``benchmarks/report.py``. Standard library only.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGES = (
    "dendrax", "jax", "jaxlib", "numpy", "scipy", "equinox", "optax", "jaxley", "neuron",
)  # fmt: skip
ENV_VARS = (
    "JAX_PLATFORMS", "JAX_NUM_CPU_DEVICES", "JAX_ENABLE_X64", "XLA_FLAGS", "OMP_NUM_THREADS",
    "PYTHONPATH", "CUDA_VISIBLE_DEVICES",
)  # fmt: skip


def _git(path: Path, *args: str) -> str | None:
    try:
        p = subprocess.run(
            ["git", "-C", str(path), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def git_state(path: str | Path = HERE) -> dict:
    """Commit and dirtiness of the repository holding ``path``: ``dirty`` = uncommitted changes
    to tracked files or untracked files under ``src/`` (other untracked files are listed in
    ``untracked_paths``); ``src_dirty``: tracked or untracked changes under ``src/``."""
    path = Path(path)
    if path.is_file():
        path = path.parent
    top = _git(path, "rev-parse", "--show-toplevel")
    if top is None:
        return {"commit": None, "error": f"{path} is not in a git repository"}
    commit = _git(path, "rev-parse", "HEAD")
    status = (_git(path, "status", "--porcelain") or "").splitlines()
    tracked = [ln[3:] for ln in status if not ln.startswith("??")]
    untracked = [ln[3:] for ln in status if ln.startswith("??")]
    diff = _git(path, "diff", "HEAD") or ""
    return {
        "toplevel": top,
        "commit": commit,
        "short": commit[:7] if commit else None,
        "subject": _git(path, "log", "-1", "--format=%s"),
        "commit_date": _git(path, "log", "-1", "--format=%cI"),
        # uncommitted changes to tracked files, or untracked files under src/ (they may be
        # imported by the code measured)
        "dirty": bool(tracked) or any(p.startswith("src/") for p in untracked),
        "dirty_paths": tracked[:50],
        "untracked_paths": untracked[:50],
        "src_dirty": any(p.startswith("src/") for p in tracked + untracked),
        "src_tree": _git(path, "rev-parse", "HEAD:src"),
        # identifies the uncommitted changes to tracked files (not untracked files)
        "diff_sha1": hashlib.sha1(diff.encode()).hexdigest() if diff else None,
    }


def git_label(g: dict) -> str:
    """``abc1234``, ``abc1234+dirty`` (tracked changes) or ``unknown``."""
    if not g or not g.get("commit"):
        return "unknown"
    return g["short"] + ("+dirty" if g.get("dirty") else "")


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if "model name" in ln), "")
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            kib = next(int(ln.split()[1]) for ln in f if ln.startswith("MemTotal:"))
            mem_gib = round(kib / 2**20, 1)
    except (OSError, StopIteration):
        pass
    quota = None
    try:
        quota = Path("/sys/fs/cgroup/cpu.max").read_text().strip()
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cores": usable or os.cpu_count(),  # CPUs this process may run on
        "cgroup_cpu_max": quota,
        "mem_total_gib": mem_gib,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "loadavg": loadavg(),
    }


def versions() -> dict:
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance(kind: str, repo: str | Path = HERE) -> dict:
    """Everything needed to say what was measured where: call at the start of a run."""
    now = datetime.datetime.now().astimezone()
    return {
        "kind": kind,
        "date": now.isoformat(timespec="seconds"),
        "git": git_state(repo),
        "machine": machine(),
        "versions": versions(),
        "env": {k: os.environ[k] for k in ENV_VARS if k in os.environ},
        "command": [Path(sys.executable).name] + sys.argv,
    }


def finish(prov: dict, t_start: float | None = None) -> dict:
    """Add the load average and time at the end of the run, and whether the tree changed
    while it ran (``git_changed_during_run``: commit, changed files or their diff)."""
    import time

    prov["loadavg_end"] = loadavg()
    g0 = prov.get("git", {})
    if g0.get("toplevel"):
        g1 = git_state(g0["toplevel"])
        keys = ("commit", "dirty_paths", "untracked_paths", "diff_sha1")
        prov["git_changed_during_run"] = any(g0.get(k) != g1.get(k) for k in keys)
        if prov["git_changed_during_run"]:
            prov["git_end"] = g1
    prov["date_end"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    if t_start is not None:
        prov["duration_s"] = round(time.perf_counter() - t_start, 1)
    return prov


def run_name(prov: dict) -> str:
    """``2026-11-28T011321-c12b774-dirty-forward``: the stored run's file stem."""
    date = prov.get("date") or "undated"
    stamp = date[:19].replace(":", "")
    label = git_label(prov.get("git", {})).replace("+", "-")
    return f"{stamp}-{label}-{prov.get('kind', 'run')}"


def store_run(results: dict, out_dir: str | Path, stem: str | None = None) -> Path:
    """Write ``results`` to ``<out_dir>/runs/<stem or run_name>.json`` (never overwriting) and
    return the path. ``results["provenance"]`` must be set."""
    runs = Path(out_dir) / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    stem = stem or run_name(results["provenance"])
    path, k = runs / f"{stem}.json", 1
    while path.exists():
        k += 1
        path = runs / f"{stem}-{k}.json"
    path.write_text(json.dumps(results, indent=1))
    return path


def module_origin(module) -> dict:
    """Where an imported package came from (file, and the git state of its tree): with
    ``PYTHONPATH=<worktree>/src`` this shows which tree's dendrax ran."""
    f = getattr(module, "__file__", None)
    out = {"file": f, "version": getattr(module, "__version__", None)}
    if f:
        g = git_state(Path(f).parent)
        out["git"] = {k: g.get(k) for k in ("toplevel", "commit", "dirty", "src_dirty")}
    return out
