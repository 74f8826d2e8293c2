"""dendrax's default SWC conversion against NEURON's own Import3d (NEURON is ground truth here,
and only here): sections, pt3d points, lengths, areas, axial resistances, d_lambda counts and
somatic voltage traces."""

from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from dendrax.morphology._import3d import NeuronImport3d, pt3d_points

neuron = pytest.importorskip("neuron")
h = neuron.h
h.load_file("stdlib.hoc")
h.load_file("import3d.hoc")

DATA = Path(dx.__file__).parent / "data"
FILES = sorted(DATA.glob("*.swc"))
RA = 100.0


def neuron_import(path):
    """Load ``path`` with NEURON's Import3d into a fresh NEURON; sections by name."""
    for sec in list(h.allsec()):
        h.delete_section(sec=sec)
    reader = h.Import3d_SWC_read()
    reader.input(str(path))
    h.Import3d_GUI(reader, False).instantiate(None)
    return {sec.name(): sec for sec in h.allsec()}


def neuron_parent(sec):
    ref = h.SectionRef(sec=sec)
    if not ref.has_parent():
        return None, None
    return ref.parent.name(), h.parent_connection(sec=sec)


def fixnseg(sec, d_lambda=0.1, frequency_hz=100.0):
    return int((sec.L / (d_lambda * h.lambda_f(frequency_hz, sec=sec)) + 0.9) / 2) * 2 + 1


def check_sections(path, require_soma=True):
    """Same sections, names, parents, attachment x and pt3d points (bit for bit)."""
    nrn = neuron_import(path)
    morph = dx.read_swc(path, require_soma=require_soma)
    sections = NeuronImport3d().sections(morph)
    pts = pt3d_points(morph, sections)
    assert sorted(nrn) == sorted(s.name for s in sections)
    for k, sec in enumerate(sections):
        ns = nrn[sec.name]
        parent = sections[sec.parent].name if sec.parent >= 0 else None
        assert neuron_parent(ns) == (parent, sec.parent_x if parent else None), sec.name
        mine = np.column_stack([pts.xyz_um, pts.diam_um, pts.arc_um])[pts.section == k]
        theirs = np.array(
            [[ns.x3d(i), ns.y3d(i), ns.z3d(i), ns.diam3d(i), ns.arc3d(i)] for i in range(ns.n3d())]
        )
        np.testing.assert_array_equal(mine, theirs, err_msg=sec.name)
    return nrn, morph


def check_cable(nrn, geometry):
    """Lengths, segment areas and axial resistances equal NEURON's."""
    for b in geometry.branches:
        sec = nrn[b.name]
        sec.Ra = RA
        sec.nseg = b.ncomp
        assert b.total_length_um == pytest.approx(sec.L, rel=1e-14, abs=1e-12)
        np.testing.assert_allclose(b.area_um2, [seg.area() for seg in sec], rtol=1e-12)
        half = 0.01 * RA * (b.length_um / 2) / (np.pi * b.diam_um**2 / 4)
        left, right = half * b.axial_scale_left, half * b.axial_scale_right
        ri = np.concatenate([[left[0]], left[1:] + right[:-1], [right[-1]]])
        theirs = [seg.ri() for seg in sec.allseg()][1:]  # segments then the x=1 end
        np.testing.assert_allclose(ri, theirs, rtol=1e-12, err_msg=b.name)
        np.testing.assert_allclose(b.diam_um, [seg.diam for seg in sec], rtol=1e-12)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_real_cells_geometry(path):
    nrn, morph = check_sections(path)
    check_cable(nrn, morph.to_geometry(dx.NComp(3)))
    # d_lambda: the same counts as NEURON's fixnseg, for two parameter sets
    for kwargs in ({}, {"d_lambda": 0.05, "frequency_hz": 250.0}):
        for sec in nrn.values():
            sec.Ra, sec.cm = RA, 1.5
        policy = dx.DLambda(**kwargs, Ra_ohm_cm=RA, cm_uF_cm2=1.5)
        geometry = morph.to_geometry(policy)
        assert {b.name: b.ncomp for b in geometry.branches} == {
            name: fixnseg(sec, **kwargs) for name, sec in nrn.items()
        }
    check_cable(nrn, geometry)


def neuron_trace(nrn, root, amp_nA, t_stop_ms):
    for sec in nrn.values():
        sec.Ra, sec.cm = RA, 1.0
        sec.nseg = fixnseg(sec)
        if sec.name().startswith(("soma", "axon")):
            sec.insert("hh")
        else:
            sec.insert("pas")
            for seg in sec:
                seg.pas.g, seg.pas.e = 1e-4, -65.0
    h.usetable_hh = 0
    h.secondorder = 0
    h.celsius = 6.3
    h.dt = 0.025
    stim = h.IClamp(nrn[root](0.5))
    stim.delay, stim.dur, stim.amp = 2.0, 15.0, amp_nA
    v = h.Vector().record(nrn[root](0.5)._ref_v)
    h.finitialize(-65.0)
    for _ in range(round(t_stop_ms / h.dt)):
        h.fadvance()
    return np.array(v)


def dendrax_trace(path, root, amp_nA, t_stop_ms):
    cell = dx.Cell.from_swc(path, dx.DLambda(Ra_ohm_cm=RA))
    cell.set_cable(Ra_ohm_cm=RA, cm_uF_cm2=1.0)
    kinds = set(cell.geometry.kinds())
    cell.insert(dx.HH(), where=cell.select(kind=sorted(kinds & {"soma", "axon"})))
    cell.insert(dx.Pas(g=1e-4, e=-65.0), where=cell.select(kind=sorted(kinds - {"soma", "axon"})))
    names = [b.name for b in cell.geometry.branches]
    cell.stimulate(dx.IClamp(2.0, 15.0, amp_nA), at=(names.index(root), 0.5))
    cell.record("v", (names.index(root), 0.5), key="v")
    system = dx.compile(cell, 0.025, t_stop_ms, v_init_mV=-65.0, celsius=6.3)
    return np.asarray(dx.simulate(system)["v"])


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_real_cells_somatic_voltage(path):
    amp = 2.0 if path.stem == "l5pc_with_axon" else 0.5
    v_nrn = neuron_trace(neuron_import(path), "soma[0]", amp, 20.0)
    v_dx = dendrax_trace(path, "soma[0]", amp, 20.0)
    assert v_nrn.max() > 0.0  # the soma fires: hh is exercised
    assert np.max(np.abs(v_dx - v_nrn)) <= 1e-4


# --- small files for the rules that the bundled cells do not all exercise --------------------

CASES = {
    "one_point_soma": """
        1 1 0 0 0 6 -1
        2 3 5 1 0 1.2 1
        3 3 15 2 0 1.0 2
        4 3 25 4 1 0.8 3
        5 4 -1 7 0 2 1
        6 4 -2 30 0 1.5 5
        7 2 0 -8 0 0.5 1""",
    "stacked_soma_interior_children": """
        1 1 0 0 0 2 -1
        2 1 0 2 0 4 1
        3 1 0 4 0 5 2
        4 1 0 6 0 4 3
        5 1 0 8 0 2 4
        6 3 5 4 0 1 3
        7 3 15 4 0 0.8 6
        8 4 0 20 0 1.5 5
        9 4 0 40 0 1.2 8
        10 3 0 -10 0 1 1
        11 3 0 -20 0 1 10
        12 2 -3 4 0 0.4 3""",
    "branched_soma": """
        1 1 0 0 0 5 -1
        2 1 0 3 0 5 1
        3 1 0 6 0 4 2
        4 1 0 -3 0 5 1
        5 1 0 -6 0 4 4
        6 1 2 6 0 3 3
        7 1 -2 6 0 3 3
        8 4 0 30 0 2 3
        9 3 0 -30 0 1 5
        10 3 0 -40 0 1 9
        11 3 10 0 0 1 1
        12 3 20 0 0 1 11
        13 3 5 8 0 1 6""",
    "dendrite_branching_at_its_first_point": """
        1 1 0 0 0 5 -1
        2 1 0 5 0 5 1
        3 3 0 12 0 1.5 2
        4 3 0 20 0 1.2 3
        5 3 0 30 0 1.0 4
        6 3 8 14 0 0.9 3
        7 3 16 16 0 0.8 6
        8 4 0 -12 0 2 1""",
    "zero_length_section_removed": """
        1 1 0 0 0 5 -1
        2 1 0 10 0 5 1
        3 3 0 20 0 1 2
        4 3 0 30 0 1 3
        5 3 0 30 0 0.8 4
        6 3 0 40 0 1 5
        7 3 10 30 0 1 5
        8 3 -10 30 0 1 4""",
    "custom_types": """
        1 1 0 0 0 4 -1
        2 3 0 -8 0 1.2 1
        3 3 0 -20 0 1 2
        4 4 0 8 0 2 1
        5 4 1 15 0 1.8 4
        6 7 2 25 0 0.6 5
        7 7 3 40 0 0.5 6
        8 2 6 0 0 0.4 1
        9 2 16 0 0 0.3 8""",
    "noncontiguous_child": """
        1 1 0 0 0 5 -1
        2 1 0 8 0 5 1
        3 3 0 15 0 1 2
        4 3 0 25 0 1 3
        5 3 10 0 0 1 1
        6 3 20 0 0 0.9 5
        7 3 0 35 0 0.8 4
        8 3 0 45 0 0.7 7""",
    "diameter_step_at_duplicate_point": """
        1 1 0 0 0 5 -1
        2 1 0 10 0 5 1
        3 3 0 12 0 2 2
        4 3 0 20 0 2 3
        5 3 0 20 0 1 4
        6 3 0 30 0 1 5
        7 3 0 40 0 0.5 6""",
    "no_soma": """
        1 3 0 0 0 2 -1
        2 3 0 10 0 1.8 1
        3 3 0 20 0 1.5 2
        4 3 10 0 0 1.2 1
        5 3 20 0 0 1 4
        6 3 0 30 0 1 3
        7 3 5 30 0 1 3""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_import3d_rules(tmp_path, name):
    path = write_case(tmp_path, name)
    nrn, morph = check_sections(path, require_soma=name != "no_soma")
    check_cable(nrn, morph.to_geometry(dx.NComp(2)))


def write_case(tmp_path, name):
    path = tmp_path / f"{name}.swc"
    path.write_text("\n".join(line.strip() for line in CASES[name].strip().splitlines()) + "\n")
    return path


@pytest.mark.parametrize(
    "name",
    [
        "one_point_soma",
        "stacked_soma_interior_children",
        "branched_soma",
        "dendrite_branching_at_its_first_point",
    ],
)
def test_import3d_rules_simulate_like_neuron(tmp_path, name):
    """Attachments at x=0.5 (interior soma points, one-point soma), x=0 (root's first point,
    a dendrite's first point), wires, with an even nseg: passive voltages equal NEURON's."""
    path = write_case(tmp_path, name)
    nrn = neuron_import(path)
    for sec in nrn.values():
        sec.nseg = 2
        sec.Ra, sec.cm = 80.0, 1.0
        sec.insert("pas")
        for seg in sec:
            seg.pas.g, seg.pas.e = 2e-4, -70.0
    last = list(nrn)[-1]
    h.secondorder = 0
    h.dt = 0.025
    stim = h.IClamp(nrn["soma[0]"](0.5))
    stim.delay, stim.dur, stim.amp = 1.0, 5.0, 0.3
    v_nrn = h.Vector().record(nrn[last](0.9)._ref_v)
    h.finitialize(-65.0)
    for _ in range(400):
        h.fadvance()

    cell = dx.Cell.from_swc(path, dx.NComp(2))
    cell.set_cable(Ra_ohm_cm=80.0, cm_uF_cm2=1.0)
    cell.insert(dx.Pas(g=2e-4, e=-70.0))
    names = [b.name for b in cell.geometry.branches]
    cell.stimulate(dx.IClamp(1.0, 5.0, 0.3), at=(names.index("soma[0]"), 0.5))
    cell.record("v", (names.index(last), 0.9), key="v")
    v_dx = np.asarray(dx.simulate(dx.compile(cell, 0.025, 10.0, v_init_mV=-65.0))["v"])
    assert np.max(np.abs(v_dx - np.array(v_nrn))) <= 1e-4
