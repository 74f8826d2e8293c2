#!/usr/bin/env python
"""Regenerate NEURON traces of ``neuroref-case/2`` channel cases with dendrax's own mod files.

    pip install neuron==9.0.2          (needs a C++ compiler for nrnivmodl)
    cd tests/validation/channels
    python regenerate_channels_neuron.py                 # every case in cases/
    python regenerate_channels_neuron.py NAME [NAME...]  # some cases
    python regenerate_channels_neuron.py --check         # compare with stored npz, write none
    python regenerate_channels_neuron.py --cases-dir ../../../../shared/reference/channels \\
        --out-dir /tmp/ch                                # rerun the shared set elsewhere

Each model is built in NEURON from its JSON alone (``neuroref-case/2``, see FORMAT_V2.md; every
``neuroref-case/1`` file is also accepted): one section per branch (L, nseg, one diam per segment,
Ra, cm); every mechanism under its SUFFIX with every RANGE parameter given in the JSON (one value,
or one per compartment); the model-wide GLOBALs; per-branch ions (``fixed``: the reversal
potential is set in every segment; ``nernst``: ``<ion>i0_<ion>_ion``/``<ion>o0_<ion>_ion`` are set,
they are NEURON GLOBALs, so every nernst branch must give the same ci0/co0); IClamps, sampled
waveforms played into an IClamp's ``amp`` (linear interpolation) and SEClamps. Then
``secondorder = 0`` (or 2 for Crank-Nicolson v1 cases), every existing ``usetable_<mech> = 0``,
``celsius``, fixed ``dt``, ``finitialize(v_init)`` and ``fadvance()`` until ``tstop``.

The mechanisms are dendrax's own mod files in ``mod/`` (the Hay et al. 2011 set and the Pospischil
et al. 2008 set, written from the published equations). They are compiled once with ``nrnivmodl``
into a cache directory outside the repository, keyed by a hash of the mod files
(``$DENDRAX_NRNMECH_CACHE``, default ``~/.cache/dendrax``, subdirectory ``nrnmech-<hash>``;
``--build-dir`` overrides).

Recording timing is NEURON's ``Vector.record`` at fixed dt, which is FORMAT_V2 section 5: sample k
of ``v``, states and concentrations holds the values after step k-1 -> k; currents, conductances and
a computed ``eca`` hold the values evaluated at the start of that step; ``i_seclamp`` is recomputed
with the new voltage. The script checks its own stimulus timing: every IClamp delivers the JSON
stimulus at the step midpoints, every SEClamp current equals ``(vc(t_mid) - V^{n+1})/rs`` (0 once
the clamp is off), and every branch's ion is treated as the JSON says (NEURON's ``ion_style``:
``fixed`` = reversal potential a parameter, ``nernst`` = concentration a state, reversal potential
recomputed every step).

An existing npz is never replaced by one that agrees with it within 1e-9 (the file is kept
byte-for-byte); a differing one is only replaced with ``--overwrite``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from _compare import spike_times  # noqa: E402

MOD_DIR = HERE / "mod"
CASES_DIR = HERE / "cases"
SAME_ATOL = 1e-9
METHOD_SECONDORDER = {"backward_euler": 0, "crank_nicolson": 2}
FORMATS = ("neuroref-case/1", "neuroref-case/2")
ION_VARS = {"ina", "ik", "ica", "nai", "nao", "ki", "ko", "cai", "cao", "ena", "ek", "eca"}
HH_GATES = ("m", "h", "n")
_LOADED: dict[str, str] = {}


# --------------------------------------------------------------------------- positions, stimuli


def compartment(ncomp: int, x: float) -> int:
    """The compartment that contains ``x`` (FORMAT.md): ``min(floor(x*ncomp), ncomp-1)``."""
    return min(int(np.floor(x * ncomp)), ncomp - 1)


def centre(ncomp: int, x: float) -> float:
    """``x`` snapped to the centre of the compartment containing it."""
    return (compartment(ncomp, x) + 0.5) / ncomp


def stimulus_at(stim: dict, t: np.ndarray) -> np.ndarray:
    """The JSON current stimulus (nA) at times ``t`` (ms)."""
    if stim["type"] == "iclamp":
        on = (t >= stim["delay_ms"]) & (t < stim["delay_ms"] + stim["dur_ms"])
        return np.where(on, float(stim["amp_nA"]), 0.0)
    if stim["type"] == "waveform":
        if stim.get("interpolation", "linear") != "linear":
            raise ValueError(f"waveform interpolation {stim['interpolation']!r} is not linear")
        return np.interp(t, stim["t_ms"], stim["i_nA"])
    raise ValueError(f"not a current stimulus: {stim['type']!r}")


def seclamp_command(stim: dict, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SEClamp command (mV) and on/off at times ``t`` (ms), FORMAT_V2 section 4."""
    d1, d2, d3 = (float(stim[f"dur{i}_ms"]) for i in (1, 2, 3))
    a1, a2, a3 = (float(stim[f"amp{i}_mV"]) for i in (1, 2, 3))
    vc = np.where(t < d1, a1, np.where(t < d1 + d2, a2, a3))
    on = t < d1 + d2 + d3
    return np.where(on, vc, 0.0), on


# --------------------------------------------------------------------------- mechanisms library


def _mod_files(mod_dir: pathlib.Path) -> list[pathlib.Path]:
    files = sorted(mod_dir.glob("*.mod"))
    if not files:
        raise FileNotFoundError(f"no .mod files in {mod_dir}")
    return files


def git_blob_id(path: pathlib.Path) -> str:
    """The git blob id of a file (``git hash-object``), recorded in ``meta_json``."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def build_mechanisms(mod_dir: pathlib.Path = MOD_DIR, build_dir: pathlib.Path | None = None):
    """Compile ``mod_dir`` with nrnivmodl (once per content hash); returns libnrnmech.so's path."""
    files = _mod_files(mod_dir)
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    if build_dir is None:
        root = os.environ.get("DENDRAX_NRNMECH_CACHE")
        base = pathlib.Path(root) if root else pathlib.Path.home() / ".cache" / "dendrax"
        build_dir = base / f"nrnmech-{digest.hexdigest()[:16]}"
    build_dir = build_dir.resolve()
    libs = sorted(build_dir.glob("*/libnrnmech.so")) + sorted(
        build_dir.glob("*/.libs/libnrnmech.so")
    )
    if libs:
        return libs[0]
    nrnivmodl = shutil.which("nrnivmodl") or str(
        pathlib.Path(sys.executable).with_name("nrnivmodl")
    )
    src = build_dir / "mod"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for f in files:
        shutil.copy2(f, src / f.name)
    print(f"compiling {len(files)} mod files with nrnivmodl into {build_dir} ...", flush=True)
    proc = subprocess.run([nrnivmodl, "mod"], cwd=build_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nrnivmodl failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    libs = sorted(build_dir.glob("*/libnrnmech.so")) + sorted(
        build_dir.glob("*/.libs/libnrnmech.so")
    )
    if not libs:
        raise RuntimeError(f"nrnivmodl made no libnrnmech.so under {build_dir}:\n{proc.stdout}")
    return libs[0]


def load_mechanisms(mod_dir: pathlib.Path = MOD_DIR, build_dir: pathlib.Path | None = None):
    """Compile (if needed) and load the mod library into this process (once)."""
    from neuron import h

    lib = str(build_mechanisms(mod_dir, build_dir))
    if _LOADED:
        if lib not in _LOADED:
            raise RuntimeError(f"another mechanism library is loaded already: {list(_LOADED)}")
        return h
    if not h.nrn_load_dll(lib):
        raise RuntimeError(f"NEURON could not load {lib}")
    _LOADED[lib] = str(mod_dir)
    return h


def _mech_names(h, suffix: str, vartype: int) -> list[str]:
    """Names of a density mechanism's variables without the suffix (1 PARAMETER, 2 ASSIGNED,
    3 STATE; -1 GLOBAL)."""
    ms = h.MechanismStandard(suffix, vartype)
    out = []
    for i in range(int(ms.count())):
        name = h.ref("")
        ms.name(name, i)
        n = name[0]
        if n.endswith(f"_{suffix}"):
            n = n[: -len(suffix) - 1]
        out.append(n)
    return out


def _density_mechanisms(h) -> dict[str, int]:
    """Every density mechanism NEURON knows, with its internal type (its order)."""
    mt = h.MechanismType(0)
    out = {}
    name = h.ref("")
    for i in range(int(mt.count())):
        mt.select(i)
        mt.selected(name)
        out[name[0]] = int(mt.internal_type())
    return out


def decode_ion_style(style: int) -> dict[str, int]:
    """NEURON's ``ion_style`` value, decoded: ``c_style | conc_written << 2 | e_style << 3 |
    einit << 5 | eadvance << 6 | cinit << 7``."""
    return {
        "c_style": style & 3,
        "conc_written": (style >> 2) & 1,
        "e_style": (style >> 3) & 3,
        "einit": (style >> 5) & 1,
        "eadvance": (style >> 6) & 1,
        "cinit": (style >> 7) & 1,
    }


def ion_mode_of_style(style: int) -> str:
    """``fixed``, ``nernst`` or ``unsupported`` for a NEURON ion style (FORMAT_V2 section 3)."""
    s = decode_ion_style(style)
    if s["e_style"] == 1 and not s["eadvance"] and s["c_style"] == 0:
        return "fixed"
    if s["c_style"] == 3 and s["eadvance"] and s["cinit"] and s["einit"]:
        return "nernst"
    return "unsupported"


# --------------------------------------------------------------------------- building the model


def _values(value, ncomp: int, what: str) -> list[float]:
    if isinstance(value, list):
        if len(value) != ncomp:
            raise ValueError(f"{what}: {len(value)} values for ncomp={ncomp}")
        return [float(v) for v in value]
    return [float(value)] * ncomp


def _build(h, model: dict, known: dict[str, int]):
    """Sections, mechanisms, ions and connections. Returns (sections, ion specs per branch)."""
    secs = []
    nernst: dict[str, tuple[float, float, int]] = {}
    ion_specs = []
    for k, b in enumerate(model["branches"]):
        sec = h.Section(name=f"b{k}_{b.get('name', '')}".replace(" ", "_"))
        n = int(b["ncomp"])
        sec.nseg = n
        sec.L = float(b["length_um"])
        sec.Ra = float(b["Ra_ohm_cm"])
        sec.cm = float(b["cm_uF_cm2"])
        if len(b["diam_um"]) != n:
            raise ValueError(f"branch {k}: {len(b['diam_um'])} diameters for nseg={n}")
        for seg, d in zip(sec, b["diam_um"]):
            seg.diam = float(d)
        mechs = b.get("mechanisms", {})
        ions = b.get("ions")
        v1_erev: dict[str, float] = {}
        for suffix, params in mechs.items():
            if suffix not in known:
                raise ValueError(
                    f"branch {k}: unknown mechanism {suffix!r} (not built-in, not in mod/)"
                )
            sec.insert(suffix)
            expected = set(_mech_names(h, suffix, 1))
            given = dict(params)
            if suffix == "hh":  # v1: hh carries ena/ek
                for e in ("ena", "ek"):
                    if e in given:
                        v1_erev[e[1:]] = float(given.pop(e))
            unknown = set(given) - expected
            missing = expected - set(given)
            if unknown or missing:
                raise ValueError(
                    f"branch {k}: {suffix} parameters: unknown {sorted(unknown)}, "
                    f"missing {sorted(missing)} (every RANGE parameter must be given)"
                )
            for name, value in given.items():
                for seg, val in zip(sec, _values(value, n, f"branch {k} {suffix}.{name}")):
                    setattr(getattr(seg, suffix), name, val)
        if ions is None:  # v1 file: hh's ena/ek are the fixed reversal potentials
            ions = {ion: {"mode": "fixed", "erev_mV": e} for ion, e in v1_erev.items()}
        else:
            for ion, e in v1_erev.items():
                spec = ions.get(ion, {})
                if spec.get("mode") != "fixed" or float(spec["erev_mV"]) != e:
                    raise ValueError(f"branch {k}: hh e{ion}={e} disagrees with ions[{ion!r}]")
        for ion, spec in ions.items():
            if spec["mode"] == "fixed":
                for seg in sec:
                    setattr(seg, f"e{ion}", float(spec["erev_mV"]))
            elif spec["mode"] == "nernst":
                c = (float(spec["ci0_mM"]), float(spec["co0_mM"]), int(spec["valence"]))
                if nernst.setdefault(ion, c) != c:
                    raise ValueError(
                        f"branch {k}: {ion} ci0/co0/valence {c} differ from another branch's "
                        f"{nernst[ion]}; they are NEURON GLOBALs ({ion}i0_{ion}_ion), one per model"
                    )
            else:
                raise ValueError(
                    f"branch {k}: ion {ion!r} mode {spec['mode']!r} is not fixed/nernst"
                )
        ion_specs.append(ions)
        if k == 0:
            if b["parent"] != -1:
                raise ValueError("branch 0 must be the root (parent -1)")
        else:
            parent = int(b["parent"])
            if not 0 <= parent < k:
                raise ValueError(f"branch {k}: parent {parent} must be an earlier branch")
            px = 1.0 if b.get("parent_x") is None else float(b["parent_x"])
            pn = int(model["branches"][parent]["ncomp"])
            if 0.0 < px < 1.0:  # attach to the node of the parent compartment containing px
                px = centre(pn, px)
            sec.connect(secs[parent](px), 0)
        secs.append(sec)
    for ion, (ci0, co0, valence) in nernst.items():
        charge = int(round(h.ion_charge(f"{ion}_ion")))
        if charge != valence:
            raise ValueError(f"ion {ion}: valence {valence} in the JSON, NEURON's is {charge}")
        setattr(h, f"{ion}i0_{ion}_ion", ci0)
        setattr(h, f"{ion}o0_{ion}_ion", co0)
    return secs, ion_specs


def _check_ion_styles(h, model: dict, secs, ion_specs) -> dict[str, int]:
    """Every ion NEURON uses in a branch is declared in its ``ions`` with the mode NEURON chose."""
    counts: dict[str, int] = {}
    for k, (sec, ions) in enumerate(zip(secs, ion_specs)):
        used = set(sec.psection()["ions"])
        if "ions" in model["branches"][k] and used != set(ions):
            raise ValueError(
                f"branch {k}: the mechanisms use ions {sorted(used)}, the JSON declares "
                f"{sorted(ions)} (declare exactly the ions used)"
            )
        for ion in sorted(used):
            style = int(h.ion_style(f"{ion}_ion", sec=sec))
            mode = ion_mode_of_style(style)
            want = ions[ion]["mode"] if ion in ions else "fixed"
            if mode != want:
                raise ValueError(
                    f"branch {k}: NEURON treats {ion} with ion_style {style} "
                    f"({decode_ion_style(style)}) = {mode!r}, the JSON says {want!r}"
                )
            key = f"{ion}:{mode}:style={style}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def run_neuron(
    model: dict, mod_dir: pathlib.Path = MOD_DIR, build_dir=None
) -> dict[str, np.ndarray]:
    """Simulate one case in NEURON; returns the npz arrays (t, traces, spikes, meta_json)."""
    import neuron

    if model.get("format") not in FORMATS:
        raise ValueError(f"format {model.get('format')!r} is not one of {FORMATS}")
    h = load_mechanisms(mod_dir, build_dir)
    if any(True for _ in h.allsec()):
        raise RuntimeError("sections of a previous case are still alive")
    dt = float(model["dt_ms"])
    tstop = float(model["tstop_ms"])
    nsteps = round(tstop / dt)
    if abs(nsteps * dt - tstop) > 1e-9 * max(1.0, tstop):
        raise ValueError(f"tstop {tstop} is not a multiple of dt {dt}")
    method = model["method"]["name"]
    secondorder = METHOD_SECONDORDER[method]
    if model["method"].get("neuron_secondorder", secondorder) != secondorder:
        raise ValueError(f"method {method} needs neuron_secondorder={secondorder}")

    known = _density_mechanisms(h)
    secs, ion_specs = _build(h, model, known)
    used = sorted({s for b in model["branches"] for s in b.get("mechanisms", {})}, key=known.get)
    globals_set = {}
    for suffix, values in model.get("globals", {}).items():
        if suffix not in used:
            raise ValueError(f"globals for {suffix!r}, which no branch inserts")
        for name, value in values.items():
            if name not in _mech_names(h, suffix, -1):
                raise ValueError(f"{suffix} has no GLOBAL {name!r}")
            setattr(h, f"{name}_{suffix}", float(value))
    for suffix in used:
        for name in (n for n in _mech_names(h, suffix, -1) if not n.startswith("usetable")):
            globals_set[f"{name}_{suffix}"] = float(getattr(h, f"{name}_{suffix}"))

    def seg_of(item):
        b = model["branches"][item["branch"]]
        n = int(b["ncomp"])
        c = compartment(n, float(item["x"]))
        if "comp" in item and int(item["comp"]) != c:
            raise ValueError(f"{item}: comp disagrees with x (x lies in compartment {c})")
        return secs[item["branch"]](centre(n, float(item["x"])))

    stims, played, checks = [], [], []
    for s in model.get("stimuli", []):
        seg = seg_of(s)
        rec = h.Vector()
        if s["type"] == "seclamp":
            cl = h.SEClamp(seg)
            cl.rs = float(s["rs_MOhm"])
            for i in (1, 2, 3):
                setattr(cl, f"dur{i}", float(s[f"dur{i}_ms"]))
                setattr(cl, f"amp{i}", float(s[f"amp{i}_mV"]))
            vrec = h.Vector()
            vrec.record(seg._ref_v)
            rec.record(cl._ref_i)
            checks.append((s, rec, vrec))
        else:
            cl = h.IClamp(seg)
            if s["type"] == "iclamp":
                cl.delay, cl.dur, cl.amp = s["delay_ms"], s["dur_ms"], s["amp_nA"]
            elif s["type"] == "waveform":
                t_s = np.asarray(s["t_ms"], dtype=np.float64)
                if t_s[0] > 0.0 or t_s[-1] < tstop:
                    raise ValueError("waveform samples must cover [0, tstop]")
                cl.delay, cl.dur, cl.amp = 0.0, 1e9, 0.0
                tv, iv = h.Vector(t_s), h.Vector(np.asarray(s["i_nA"], dtype=np.float64))
                iv.play(cl._ref_amp, tv, 1)  # continuous: linear interpolation at every t
                played.append((tv, iv))
            else:
                raise ValueError(f"unknown stimulus type {s['type']!r}")
            rec.record(cl._ref_i)
            checks.append((s, rec, None))
        stims.append(cl)

    t_rec = h.Vector()
    t_rec.record(h._ref_t)
    recs = []
    for r in model.get("recordings", []):
        var = r["var"]
        vec = h.Vector()
        if var == "i_seclamp":
            cl = stims[int(r["stim"])]
            if model["stimuli"][int(r["stim"])]["type"] != "seclamp":
                raise ValueError(f"{r['key']}: stimulus {r['stim']} is not a seclamp")
            vec.record(cl._ref_i)
        else:
            seg = seg_of(r)
            if var == "v":
                vec.record(seg._ref_v)
            elif var in HH_GATES:
                vec.record(getattr(seg.hh, f"_ref_{var}"))
            elif var in ION_VARS:
                ion = var[1:] if var[0] in "ie" else var[:-1]
                if ion not in seg.sec.psection()["ions"]:
                    raise ValueError(f"{r['key']}: no {ion} ion in branch {r['branch']}")
                vec.record(getattr(seg, f"_ref_{var}"))
            elif "." in var:
                suffix, name = var.split(".", 1)
                if suffix not in model["branches"][r["branch"]].get("mechanisms", {}):
                    raise ValueError(
                        f"{r['key']}: {suffix} is not inserted in branch {r['branch']}"
                    )
                vec.record(getattr(getattr(seg, suffix), f"_ref_{name}"))
            else:
                raise ValueError(f"{r['key']}: unknown recorded variable {var!r}")
        recs.append((r["key"], var, vec))

    usetable_off = {}
    for suffix in used:
        name = f"usetable_{suffix}"
        if hasattr(h, name):
            setattr(h, name, 0)
            usetable_off[name] = 0
    h.CVode().active(0)
    h.celsius = float(model["celsius"])
    h.secondorder = secondorder
    h.dt = dt
    ion_styles = _check_ion_styles(h, model, secs, ion_specs)
    h.finitialize(float(model["v_init_mV"]))
    for _ in range(nsteps):
        h.fadvance()
    if abs(h.dt - dt) > 0 or abs(h.t - tstop) > 1e-6:
        raise RuntimeError(f"NEURON ended at t={h.t} with dt={h.dt} (wanted {tstop}, {dt})")

    t = np.arange(nsteps + 1, dtype=np.float64) * dt
    if t_rec.size() != nsteps + 1 or np.max(np.abs(np.array(t_rec) - t)) > 1e-6:
        raise RuntimeError("NEURON's recorded time grid is not k*dt")
    mid = (np.arange(nsteps, dtype=np.float64) + 0.5) * dt
    for s, rec, vrec in checks:
        got = np.array(rec)
        if vrec is None:  # sample k+1 holds the current of step k
            want = stimulus_at(s, mid)
            got = got[1:]
        else:  # FORMAT_V2 section 5: (vc(t_mid) - V^{n+1})/rs, 0 once the clamp is off
            v = np.array(vrec)
            vc, on = seclamp_command(s, mid)
            vc0, _ = seclamp_command(s, np.zeros(1))
            rs = float(s["rs_MOhm"])
            first = (vc0 - float(model["v_init_mV"])) / rs
            want = np.concatenate([first, np.where(on, (vc - v[1:]) / rs, 0.0)])
        err = np.max(np.abs(got - want))
        if err > 1e-9 * max(1.0, np.max(np.abs(got))):
            raise RuntimeError(f"stimulus {s} not delivered as FORMAT_V2 says (err {err:g} nA)")

    out = {"t": t}
    for key, var, vec in recs:
        y = np.array(vec)
        out[key] = y
        if var == "v":
            out[f"spikes__{key}"] = spike_times(t, y)
    meta = {
        "case": model["name"],
        "format": model["format"],
        "neuron_version": neuron.__version__,
        "dt_ms": dt,
        "tstop_ms": tstop,
        "secondorder": secondorder,
        "celsius": float(model["celsius"]),
        "usetable_off": usetable_off,
        "mechanism_order": used,
        "ion_styles": ion_styles,
        "globals": globals_set,
        "cai0_ca_ion": float(h.cai0_ca_ion),
        "cao0_ca_ion": float(h.cao0_ca_ion),
        "mod_blobs": {f.name: git_blob_id(f) for f in _mod_files(mod_dir)},
        "generator": "dendrax tests/validation/channels/regenerate_channels_neuron.py",
        "n_compartments": int(sum(b["ncomp"] for b in model["branches"])),
    }
    out["meta_json"] = np.array(json.dumps(meta))
    return out


# --------------------------------------------------------------------------- comparing, CLI


def difference(new: dict, path: pathlib.Path) -> tuple[float, str]:
    """Largest |new - stored| over all numeric arrays, and a note on structural differences."""
    with np.load(path) as z:
        old = {k: z[k] for k in z.files}
    if set(old) != set(new):
        return float("inf"), f"keys differ: {sorted(set(old) ^ set(new))}"
    worst, note = 0.0, ""
    for k, a in new.items():
        if k == "meta_json":
            continue
        b = old[k]
        if a.shape != b.shape:
            return float("inf"), f"{k}: shape {b.shape} -> {a.shape}"
        if a.size:
            d = float(np.max(np.abs(a - b)))
            if d > worst:
                worst, note = d, f"worst in {k}"
    return worst, note


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", help="case names (default: every *.json in --cases-dir)")
    ap.add_argument("--cases-dir", type=pathlib.Path, default=CASES_DIR)
    ap.add_argument("--out-dir", type=pathlib.Path, help="write npz files here instead")
    ap.add_argument("--mod-dir", type=pathlib.Path, default=MOD_DIR)
    ap.add_argument("--build-dir", type=pathlib.Path, help="nrnivmodl build directory")
    ap.add_argument("--check", action="store_true", help="compare with stored npz, write none")
    ap.add_argument("--overwrite", action="store_true", help="replace npz files that differ")
    args = ap.parse_args(argv)
    names = args.cases or sorted(p.stem for p in args.cases_dir.glob("*.json"))
    out_dir = args.out_dir or args.cases_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    status = 0
    for name in names:
        with open(args.cases_dir / f"{name}.json") as f:
            model = json.load(f)
        if model.get("name", name) != name:
            raise ValueError(f"{name}.json names itself {model.get('name')!r}")
        arrays = run_neuron(model, args.mod_dir, args.build_dir)
        target = out_dir / f"{name}.npz"
        if target.exists():
            d, note = difference(arrays, target)
            if d <= SAME_ATOL:
                print(f"{name}: same as stored (max |diff| {d:.3g}); kept {target}")
                continue
            print(f"{name}: DIFFERS from stored by {d:.3g} ({note})")
            if args.check or not args.overwrite:
                status = 1
                continue
        elif args.check:
            print(f"{name}: no stored npz to compare with")
            status = 1
            continue
        np.savez_compressed(target, **arrays)
        print(f"{name}: wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")
    return status


if __name__ == "__main__":
    sys.exit(main())
