"""Discretisation: policies, frustum integrals, the reference conversion, build speed."""

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from dendrax.morphology import Cables, Policy
from dendrax.morphology._frustum import integrate_frusta
from dendrax.morphology._import3d import hoc_pt3d
from dendrax.morphology._reference import soma_area_um2

DATA = Path(dx.__file__).parent / "data"
CASES = Path(__file__).parent / "validation" / "cases"


def cables(lengths, diams, kinds=None):
    lengths, diams = np.asarray(lengths, float), np.asarray(diams, float)
    kinds = tuple(kinds or ["basal"] * lengths.size)

    def lam(f, Ra, cm):
        return 1e5 * np.sqrt(diams / (4 * np.pi * f * Ra * cm))

    return Cables(lengths, kinds, lam)


# --- policies ---------------------------------------------------------------------------------


def test_ncomp_and_max_length():
    c = cables([10.0, 100.0, 101.0, 0.3], [1, 1, 1, 1])
    assert dx.NComp(3).ncomp(c).tolist() == [3, 3, 3, 3]
    assert dx.MaxLength(10.0).ncomp(c).tolist() == [1, 10, 11, 1]


def test_d_lambda_matches_the_fixnseg_formula():
    lengths = np.array([5.0, 200.0, 1000.0, 3000.0])
    diams = np.array([10.0, 2.0, 1.0, 0.5])
    got = dx.DLambda(d_lambda=0.1, frequency_hz=100.0, Ra_ohm_cm=100.0).ncomp(
        cables(lengths, diams)
    )
    for n, L, d in zip(got, lengths, diams):
        lam = 1e5 * math.sqrt(d / (4 * math.pi * 100.0 * 100.0 * 1.0))
        assert n == int((L / (0.1 * lam) + 0.9) / 2) * 2 + 1
        assert n % 2 == 1
    # shorter d_lambda, higher frequency or larger Ra/cm never give fewer compartments
    finer = dx.DLambda(d_lambda=0.05, frequency_hz=500.0, Ra_ohm_cm=150.0, cm_uF_cm2=2.0)
    assert np.all(finer.ncomp(cables(lengths, diams)) >= got)


def test_d_lambda_per_region_values():
    c = cables([500.0, 500.0], [1.0, 1.0], kinds=["axon", "basal"])
    policy = dx.DLambda(Ra_ohm_cm={"axon": 1000.0, "basal": 35.4})
    n = policy.ncomp(c)
    assert n[0] > n[1]
    with pytest.raises(ValueError, match=r"no value for region\(s\) \['basal'\]"):
        dx.DLambda(Ra_ohm_cm={"axon": 100.0}).ncomp(c)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: dx.NComp(0), "positive integer"),
        (lambda: dx.NComp(2.5), "positive integer"),
        (lambda: dx.MaxLength(-1.0), "> 0"),
        (lambda: dx.DLambda(d_lambda=0.0), "> 0"),
        (lambda: dx.DLambda(frequency_hz=float("nan")), "> 0"),
        (lambda: dx.DLambda(Ra_ohm_cm={"soma": -1.0}), "> 0"),
    ],
)
def test_policy_arguments_are_checked(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_policies_are_objects_and_custom_policies_work():
    morph = dx.read_swc(DATA / "grc_202-2-46nj.swc")
    with pytest.raises(TypeError, match="policy="):
        morph.to_geometry("dlambda")
    with pytest.raises(TypeError, match="convention="):
        morph.to_geometry(dx.NComp(1), convention="neuron")

    class TwoPerBranchBeyond10um(Policy):
        def ncomp(self, cables):
            return np.where(cables.length_um > 10.0, 2, 1)

    geometry = morph.to_geometry(TwoPerBranchBeyond10um())
    lengths = np.array([b.total_length_um for b in geometry.branches])
    assert np.array_equal(geometry.ncomp, np.where(lengths > 10.0, 2, 1))
    assert hash(dx.DLambda(Ra_ohm_cm={"soma": 100.0})) is not None  # frozen, hashable


# --- frustum integrals -------------------------------------------------------------------------


def test_cylinder_and_cone_integrals():
    # one cylinder (L=10, d=2) and one cone (L=10, d from 4 to 2), 2 compartments each
    arc = np.array([0.0, 10.0, 0.0, 10.0])
    diam = np.array([2.0, 2.0, 4.0, 2.0])
    f = integrate_frusta(arc, diam, np.array([0, 0, 1, 1]), np.array([2, 2]))
    np.testing.assert_allclose(f.area_um2[:2], np.pi * 2.0 * 5.0)
    np.testing.assert_allclose(f.axial_left[:2], 2.5 / (np.pi * 1.0))
    np.testing.assert_allclose(f.mean_diam_um, [2.0, 2.0, 3.5, 2.5])
    # cone halves: d(s) = 4 - 0.2 s; slanted lateral area and ∫ ds / (π d²/4) = 4 l / (π d_a d_b)
    d = lambda s: 4.0 - 0.2 * s  # noqa: E731
    slant = lambda a, b: np.pi * (d(a) + d(b)) / 2 * np.hypot(b - a, (d(a) - d(b)) / 2)  # noqa: E731
    np.testing.assert_allclose(f.area_um2[2:], [slant(0, 5), slant(5, 10)])
    np.testing.assert_allclose(
        f.axial_left[2:], [4 * 2.5 / (np.pi * d(0) * d(2.5)), 4 * 2.5 / (np.pi * d(5) * d(7.5))]
    )
    np.testing.assert_allclose(
        f.axial_right[2:], [4 * 2.5 / (np.pi * d(2.5) * d(5)), 4 * 2.5 / (np.pi * d(7.5) * d(10))]
    )


def test_diameter_step_adds_the_annulus_to_the_half_ending_there():
    arc = np.array([0.0, 5.0, 5.0, 10.0])
    diam = np.array([2.0, 2.0, 4.0, 4.0])
    f = integrate_frusta(arc, diam, np.zeros(4, dtype=int), np.array([2]))
    annulus = np.pi * (16.0 - 4.0) / 4
    np.testing.assert_allclose(f.area_um2, [np.pi * 2 * 5 + annulus, np.pi * 4 * 5])


def test_total_area_does_not_depend_on_the_compartment_count():
    morph = dx.read_swc(DATA / "ca1_n120.swc")
    totals = []
    for policy in (dx.NComp(1), dx.NComp(4), dx.MaxLength(3.0)):
        g = morph.to_geometry(policy)
        totals.append(g.flat("area_scale") @ (np.pi * g.flat("diam_um") * g.flat("length_um")))
    np.testing.assert_allclose(totals, totals[0], rtol=1e-12)


def test_hoc_pt3d_rounding_equals_printf_then_single_precision():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.normal(0, 300, 2000),
            rng.uniform(0, 1, 500) * 10.0 ** rng.integers(-6, 10, 500),
            [0.0, 1.000000051, 1.00000005, -12.3456785, 2.5e9, 0.125, 263.248016357],
        ]
    )
    expected = np.array([float(np.float32(float(f"{v:.8g}"))) for v in values])
    np.testing.assert_array_equal(hoc_pt3d(values), expected)


# --- the reference conversion ------------------------------------------------------------------


def test_reference_conversion_reproduces_the_ca1_case():
    case = json.loads((CASES / "swc_ca1_n120.json").read_text())
    policy = dx.DLambda(d_lambda=0.2, frequency_hz=100.0, Ra_ohm_cm=100.0, cm_uF_cm2=1.0)
    morph = dx.read_swc(DATA / "ca1_n120.swc")
    geometry = morph.to_geometry(policy, convention=dx.ReferenceConversion())
    assert geometry.n_branches == len(case["branches"]) == 154
    for b, ref in zip(geometry.branches, case["branches"]):
        assert b.name == ref["name"]
        assert b.parent == ref["parent"]
        assert b.parent_x == (1.0 if ref["parent_x"] is None else ref["parent_x"])
        assert b.ncomp == ref["ncomp"], b.name
        assert b.total_length_um == pytest.approx(ref["length_um"], abs=1e-5), b.name
        np.testing.assert_allclose(b.diam_um, ref["diam_um"], rtol=0, atol=1e-5, err_msg=b.name)
        assert np.all(b.area_scale == 1.0) and np.all(b.axial_scale_left == 1.0)
    assert sum(b.total_length_um == 0.5 for b in geometry.branches) == 1  # the padded piece


def test_reference_soma_areas():
    # PROVENANCE.md: ca1_n120 934, grc 281, c91662 988, l5pc_with_axon 1504 µm²
    areas = {p.stem: soma_area_um2(dx.read_swc(p)) for p in sorted(DATA.glob("*.swc"))}
    assert round(areas["ca1_n120"]) == 934
    assert round(areas["grc_202-2-46nj"]) == 281
    assert round(areas["c91662"]) == 988
    assert round(areas["l5pc_with_axon"]) == 1504
    soma = (
        dx.read_swc(DATA / "grc_202-2-46nj.swc")
        .to_geometry(dx.NComp(1), convention=dx.ReferenceConversion())
        .branches[0]
    )
    assert soma.area_um2[0] == pytest.approx(areas["grc_202-2-46nj"])
    assert soma.total_length_um == pytest.approx(soma.diam_um[0])


# --- speed ----------------------------------------------------------------------------------


def test_building_a_10k_compartment_cell_is_fast():
    path = DATA / "l5pc_with_axon.swc"
    dx.compile(dx.Cell.from_swc(path, dx.NComp(1)), 0.025, 1.0)  # warm up imports
    start = time.perf_counter()
    cell = dx.Cell.from_swc(path, dx.MaxLength(2.85))
    system = dx.compile(cell, 0.025, 10.0)
    elapsed = time.perf_counter() - start
    assert system.n_comp > 10_000
    print(
        f"l5pc_with_axon, {system.n_comp} compartments: read + discretise + compile {elapsed:.3f} s"
    )
    assert elapsed < 10.0  # generous sanity bound; measured ~0.25 s on one CPU core


def test_reference_conversion_rules_on_a_small_cell(tmp_path):
    # one-point soma (r = 5); a basal dendrite whose first point (id 2) is a branch point; an
    # apical dendrite
    text = (
        "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 2\n4 3 30 0 0 0.5 3\n"
        "5 3 10 10 0 1 2\n6 4 0 10 0 2 1\n7 4 0 40 0 1 6\n"
    )
    path = tmp_path / "cell.swc"
    path.write_text(text)
    g = dx.read_swc(path).to_geometry(dx.NComp(2), convention=dx.ReferenceConversion())
    names = [b.name for b in g.branches]
    assert names == ["soma", "basal_1", "basal_2", "basal_3", "apical_4"]
    assert [b.parent for b in g.branches] == [-1, 0, 1, 1, 0]
    assert [b.parent_x for b in g.branches[1:]] == [0.0, 1.0, 1.0, 1.0]  # apical at soma x=1
    soma, head, run, side, apical = g.branches
    assert soma.area_um2.sum() == pytest.approx(4 * np.pi * 25)
    assert head.total_length_um == 0.5  # the branch point alone, padded
    assert run.total_length_um == pytest.approx(20.0)  # includes the branch point
    np.testing.assert_allclose(run.diam_um, [2.0, 1.5])  # mean of the linear taper per half
    assert side.total_length_um == pytest.approx(10.0)
    assert apical.total_length_um == pytest.approx(30.0)  # starts at its own first point
