"""Generate the benchmark models as dendrax JSON model files (format ``neuroref-case/1``).

Three families, each at about 100, 1,000 and 10,000 compartments:

- ``cable``: an unbranched 1 mm x 1 µm HH axon (Rallpack 3 geometry, standard hh), a 0.1 nA
  step into the first compartment; the compartment count is the resolution.
- ``tree``: a 20 µm soma with a binary dendritic tree (5, 7 or 9 levels, tapering by the 3/2
  power rule), standard hh everywhere, a somatic step.
- ``swc``: a reconstructed cell converted with the rules of the reference format (soma as one
  cylinder of the SWC soma area, one branch per unbranched run, compartment diameter = mean of
  the piecewise-linear SWC diameter, basal and axonal trees on soma x=0, apical on x=1), one
  somatic compartment and the same number of compartments in every other branch (Jaxley's
  ``read_swc(ncomp=k)`` discretisation; Jaxley builds cells with few distinct branch sizes far
  faster): ``grc_202-2-46nj`` (~100), ``ca1_n120`` (~1,000), ``l5pc_with_axon`` (~10,000).
  hh at full density in soma and axon, reduced density in dendrites, a somatic step.

All models: 6.3 °C (hh q10 = 1, so simulators without temperature scaling agree), v_init
-65 mV, dt 0.025 ms, 100 ms, backward Euler, Ra 100 Ω·cm, cm 1 µF/cm². Every model records the
soma (or first compartment) and a distal compartment.

Usage: ``python benchmarks/models.py [--out DIR] [--sizes 100 1000 10000]``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "src" / "dendrax" / "data"
DEFAULT_OUT = HERE / "_models"
SIZES = (100, 1000, 10000)

HH_FULL = {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.0003, "el": -54.3, "ena": 50.0, "ek": -77.0}
HH_DEND = {"gnabar": 0.03, "gkbar": 0.009, "gl": 0.0001, "el": -65.0, "ena": 50.0, "ek": -77.0}
RA, CM = 100.0, 1.0
SWC_CELLS = {100: "grc_202-2-46nj", 1000: "ca1_n120", 10000: "l5pc_with_axon"}
SWC_STIM_NA = {"grc_202-2-46nj": 0.1, "ca1_n120": 1.0, "l5pc_with_axon": 2.0}
TREE_LEVELS = {100: 5, 1000: 7, 10000: 9}


def _header(name: str, description: str) -> dict:
    return {
        "format": "neuroref-case/1",
        "name": name,
        "description": description,
        "celsius": 6.3,
        "v_init_mV": -65.0,
        "dt_ms": 0.025,
        "tstop_ms": 100.0,
        "method": {"name": "backward_euler", "neuron_secondorder": 0},
    }


def _branch(name, parent, parent_x, length, diams, mech, swc_type=None) -> dict:
    b = {
        "name": name,
        "parent": parent,
        "parent_x": parent_x,
        "length_um": round(float(length), 6),
        "ncomp": len(diams),
        "diam_um": [round(float(d), 6) for d in diams],
        "Ra_ohm_cm": RA,
        "cm_uF_cm2": CM,
        "mechanisms": {"hh": dict(mech)},
    }
    if swc_type is not None:
        b["swc_type"] = int(swc_type)
    return b


def _point(key: str, branches: list, b: int, x: float) -> dict:
    n = branches[b]["ncomp"]
    comp = min(int(math.floor(x * n)), n - 1)
    return {"key": key, "var": "v", "branch": b, "x": (comp + 0.5) / n, "comp": comp}


def _finish(model: dict, branches: list, stim_branch: int, stim_x: float, amp_nA: float,
            delay_ms: float, dur_ms: float, distal: tuple[int, float]) -> dict:  # fmt: skip
    stim = _point("", branches, stim_branch, stim_x)
    del stim["key"], stim["var"]
    model["branches"] = branches
    model["stimuli"] = [
        {"type": "iclamp", **stim, "delay_ms": delay_ms, "dur_ms": dur_ms, "amp_nA": amp_nA}
    ]
    model["recordings"] = [
        _point("v_soma", branches, stim_branch, stim_x),
        _point("v_distal", branches, *distal),
    ]
    model["n_branches"] = len(branches)
    model["n_compartments"] = int(sum(b["ncomp"] for b in branches))
    return model


def cable(ncomp: int) -> dict:
    """Rallpack-3-like HH axon, 1 mm x 1 µm, ``ncomp`` compartments, 0.1 nA at x=0."""
    m = _header(f"cable_{ncomp}", "Unbranched HH cable 1000 x 1 um (Rallpack 3 geometry).")
    branches = [_branch("axon", -1, None, 1000.0, [1.0] * ncomp, HH_FULL)]
    return _finish(m, branches, 0, 0.0, 0.1, 0.0, 100.0, (0, 1.0))


def tree(target: int) -> dict:
    """Soma + binary tree of ``TREE_LEVELS[target]`` levels, about ``target`` compartments."""
    levels = TREE_LEVELS.get(target) or max(1, round(math.log2(max(target, 2) / 4)))
    n_dend = 2**levels - 1
    per = max(1, round((target - 1) / n_dend))
    m = _header(
        f"tree_{target}",
        f"20 um soma + binary tree of {levels} levels ({n_dend} branches x {per} compartments), "
        "diameters 3/2-power tapering from 3 um, hh everywhere.",
    )
    branches = [_branch("soma", -1, None, 20.0, [20.0], HH_FULL, 1)]
    level_of = [0]
    for lev in range(levels):
        d = 3.0 * 2.0 ** (-2.0 * lev / 3.0)
        length = 150.0 * 0.8**lev
        parents = [0] if lev == 0 else [i for i, v in enumerate(level_of) if v == lev]
        for p in parents:
            for _ in range(1 if lev == 0 else 2):
                name = f"dend_{len(branches)}"
                branches.append(_branch(name, p, 1.0, length, [d] * per, HH_FULL, 3))
                level_of.append(lev + 1)
    return _finish(m, branches, 0, 0.5, 1.0, 5.0, 90.0, (len(branches) - 1, 1.0))


# --- SWC conversion -------------------------------------------------------------------------


def read_swc_branches(path: str | Path) -> tuple[float, list[dict]]:
    """Soma area (µm²) and unbranched runs of an SWC file (parents listed before children).

    Each run: ``parent`` (branch index, 0 = soma), ``parent_x``, ``type``, ``s`` (path length
    at each point, µm) and ``d`` (diameter at each point, µm).
    """
    a = np.loadtxt(path, comments="#", ndmin=2)
    ids = a[:, 0].astype(np.int64)
    idx = {int(i): k for k, i in enumerate(ids)}
    typ = a[:, 1].astype(np.int64)
    xyz, r = a[:, 2:5], a[:, 5]
    par = np.array([idx.get(int(p), -1) for p in a[:, 6]], dtype=np.int64)
    if np.any(par >= np.arange(len(ids))):
        raise ValueError(f"{path}: parents must be listed before their children.")
    children: list[list[int]] = [[] for _ in ids]
    for k, p in enumerate(par):
        if p >= 0:
            children[p].append(k)
    soma = typ == 1
    soma_pts = np.flatnonzero(soma)
    if soma_pts.size == 1 or (
        soma_pts.size == 3 and par[soma_pts[1]] == soma_pts[0] and par[soma_pts[2]] == soma_pts[0]
    ):
        area = 4.0 * math.pi * r[soma_pts[0]] ** 2
    else:
        area = 0.0
        for k in soma_pts:
            p = par[k]
            if p >= 0 and soma[p]:
                h = np.linalg.norm(xyz[k] - xyz[p])
                area += math.pi * (r[k] + r[p]) * math.hypot(r[k] - r[p], h)
    branch_end: dict[int, int] = {}  # last point of a branch -> branch index
    runs: list[dict] = []
    for k in range(len(ids)):
        p = par[k]
        if soma[k] or p < 0:
            continue
        if soma[p]:
            pts, parent, px = [k], 0, 1.0 if typ[k] == 4 else 0.0
        elif len(children[p]) != 1:
            pts, parent, px = [p, k], branch_end[p], 1.0
        else:
            continue  # inside a run
        while len(children[pts[-1]]) == 1:
            pts.append(children[pts[-1]][0])
        seg = np.linalg.norm(np.diff(xyz[pts], axis=0), axis=1)
        runs.append(
            {
                "parent": parent,
                "parent_x": px,
                "type": int(typ[k]),
                "s": np.concatenate([[0.0], np.cumsum(seg)]),
                "d": 2.0 * r[pts],
            }
        )
        branch_end[pts[-1]] = len(runs)  # +1 for the soma at index 0 (runs start at 1)
    return float(area), runs


def _mean_diameters(s: np.ndarray, d: np.ndarray, ncomp: int) -> tuple[float, np.ndarray]:
    """Length and per-compartment mean of a piecewise-linear diameter (padded to 0.5 µm)."""
    length = float(s[-1])
    if length < 0.5:
        return 0.5, np.full(ncomp, float(np.mean(d)))
    cum = np.concatenate([[0.0], np.cumsum(np.diff(s) * (d[1:] + d[:-1]) / 2.0)])
    edges = np.linspace(0.0, length, ncomp + 1)
    j = np.clip(np.searchsorted(s, edges, side="right") - 1, 0, len(s) - 2)
    frac = (edges - s[j]) / np.where(s[j + 1] > s[j], s[j + 1] - s[j], 1.0)
    d_at = d[j] + frac * (d[j + 1] - d[j])
    integral = cum[j] + (edges - s[j]) * (d[j] + d_at) / 2.0
    return length, np.diff(integral) / np.diff(edges)


def _uniform_ncomp(n_branches: int, target: int) -> int:
    """Compartments per dendritic/axonal branch so that 1 (soma) + n_branches * k ~ target."""
    return max(1, round((target - 1) / n_branches))


def reconstructed(target: int, cell: str | None = None) -> dict:
    """An SWC cell from ``src/dendrax/data`` with about ``target`` compartments."""
    cell = cell or SWC_CELLS.get(target) or SWC_CELLS[min(SWC_CELLS, key=lambda t: abs(t - target))]
    area, runs = read_swc_branches(DATA / f"{cell}.swc")
    per = _uniform_ncomp(len(runs), target)
    m = _header(
        f"swc_{target}",
        f"Reconstructed {cell}.swc, {len(runs) + 1} branches; hh at full density in soma and "
        "axon, reduced density in dendrites; somatic step.",
    )
    m["source"] = {
        "morphology": f"src/dendrax/data/{cell}.swc",
        "soma_area_um2": round(area, 4),
        "conversion": f"neuroref-case/1 SWC rules; soma 1 compartment, every other branch "
        f"{per} compartments (as jx.read_swc(ncomp={per}))",
    }
    ds = math.sqrt(area / math.pi)
    branches = [_branch("soma", -1, None, ds, [ds], HH_FULL, 1)]
    names = {2: "axon", 3: "basal", 4: "apical"}
    for k, run in enumerate(runs):
        length, diams = _mean_diameters(run["s"], run["d"], per)
        mech = HH_FULL if run["type"] in (1, 2) else HH_DEND
        name = f"{names.get(run['type'], 'dend')}_{k + 1}"
        branches.append(
            _branch(name, run["parent"], run["parent_x"], length, diams, mech, run["type"])
        )
    # distal recording: the end of the longest apical (else any) path from the soma
    dist = np.zeros(len(branches))
    for k in range(1, len(branches)):
        dist[k] = dist[branches[k]["parent"]] + branches[k]["length_um"]
    apical = [k for k, b in enumerate(branches) if b.get("swc_type") == 4]
    far = max(apical or range(1, len(branches)), key=lambda k: dist[k])
    return _finish(m, branches, 0, 0.5, SWC_STIM_NA[cell], 5.0, 90.0, (far, 1.0))


FAMILIES = {"cable": cable, "tree": tree, "swc": reconstructed}


def generate(out: str | Path = DEFAULT_OUT, sizes=SIZES, families=tuple(FAMILIES)) -> list[Path]:
    """Write ``<family>_<size>.json`` for every family and size; returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fam in families:
        for size in sizes:
            model = FAMILIES[fam](size)
            path = out / f"{model['name']}.json"
            path.write_text(json.dumps(model, indent=1))
            paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output folder")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    args = ap.parse_args()
    for p in generate(args.out, args.sizes, args.families):
        m = json.loads(p.read_text())
        print(f"{p}: {m['n_branches']} branches, {m['n_compartments']} compartments")


if __name__ == "__main__":
    main()
