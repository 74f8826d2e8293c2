"""Many cells in one System: a forest of cable trees, a layout with cell indices, regions and
sharing across cells."""

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import branched_cell

import dendrax as dx


def two_cell_list():
    a = branched_cell("hh")
    b = branched_cell("mixed")
    for r in b.recordings:  # keys must be unique across cells
        object.__setattr__(r, "key", r.key + "_b")
    return a, b


def test_cells_compiled_together_equal_each_alone():
    a, b = two_cell_list()
    together = dx.simulate(dx.compile([a, b], dt_ms=0.025, t_stop_ms=10.0))
    alone_a = dx.simulate(dx.compile(a, dt_ms=0.025, t_stop_ms=10.0))
    alone_b = dx.simulate(dx.compile(b, dt_ms=0.025, t_stop_ms=10.0))
    for key in alone_a.keys():
        np.testing.assert_allclose(together[key], alone_a[key], rtol=0, atol=1e-12)
    for key in alone_b.keys():
        np.testing.assert_allclose(together[key], alone_b[key], rtol=0, atol=1e-12)
    assert float(jnp.max(together["v_soma"])) > 0.0  # it spiked: the comparison is not trivial


@pytest.mark.parametrize("solver", [dx.HinesSequential(), dx.HinesLevels()])
def test_forest_of_copies_of_one_template(solver):
    """Ten cells from one Geometry object: the topology is built once and tiled."""
    template = branched_cell("hh")
    cells = []
    for k in range(10):
        c = dx.Cell(template.geometry)
        c.set_cable(Ra_ohm_cm=100.0)
        c.insert(dx.HH())
        c.stimulate(dx.IClamp(2.0, 10.0, 0.1 * k), at=(0, 0.5))
        c.record("v", (3, 1.0), key=f"v_tip_{k}")
        cells.append(c)
    system = dx.compile(cells, dt_ms=0.025, t_stop_ms=5.0, tree_solver=solver)
    assert system.n_cells == 10 and int(np.sum(np.asarray(system.topology.parent) < 0)) == 10
    r = dx.simulate(system)
    one = dx.simulate(dx.compile(cells[7], dt_ms=0.025, t_stop_ms=5.0, tree_solver=solver))
    np.testing.assert_allclose(r["v_tip_7"], one["v_tip_7"], rtol=0, atol=1e-11)
    assert not np.allclose(r["v_tip_7"], r["v_tip_0"])


def test_record_keys_must_be_unique_across_cells():
    with pytest.raises(ValueError, match="unique across"):
        dx.compile([branched_cell(), branched_cell()], dt_ms=0.025, t_stop_ms=1.0)


def test_compile_rejects_what_is_not_a_cell():
    with pytest.raises(TypeError, match="list of Cells"):
        dx.compile([branched_cell(), "soma"], dt_ms=0.025, t_stop_ms=1.0)
    with pytest.raises(TypeError, match="list of Cells"):
        dx.compile([], dt_ms=0.025, t_stop_ms=1.0)


def test_layout_locates_every_compartment():
    a, b = two_cell_list()
    system = dx.compile([a, b], dt_ms=0.025, t_stop_ms=1.0)
    lay = system.layout
    n = a.n_compartments
    assert np.asarray(lay.comp_offset).tolist() == [0, n, 2 * n]
    np.testing.assert_array_equal(np.asarray(lay.cell_of_comp), np.repeat([0, 1], n))
    np.testing.assert_array_equal(
        np.asarray(lay.branch_of_comp)[n:], a.geometry.branch_of_compartment()
    )
    names = np.asarray(lay.region_names, dtype=object)[np.asarray(lay.region_of_comp)]
    np.testing.assert_array_equal(names[:n], a.geometry.kinds())


def test_region_means_every_cell_and_sharing_per_cell():
    a, b = two_cell_list()
    system = dx.compile([a, b], dt_ms=0.025, t_stop_ms=1.0)
    pm = dx.ParameterMap(
        system,
        [
            dx.Trainable(
                "gna", (dx.HH, "gnabar"), where=dx.Region(kind="soma"), sharing=dx.PerCell()
            ),  # fmt: skip
            dx.Trainable("Ra", "Ra", where=dx.Region(kind="apical", cells=[1])),
        ],
    )
    assert pm.group_names("gna") == ("cell 0", "cell 1")
    out = pm.apply(system, {"gna": jnp.array([0.2, 0.3]), "Ra": 42.0})
    n = a.n_compartments
    g = system.mechanisms[0]
    comps = np.asarray(g.compartments)
    gna = np.asarray(out.mechanisms[0].params["gnabar"])
    soma = comps[gna != np.asarray(g.params["gnabar"])]
    assert soma.tolist() == [0, n]  # the soma of each cell
    ra = np.asarray(out.Ra_ohm_cm)
    changed = np.flatnonzero(ra == 42.0)
    assert changed.min() >= n and set(b.geometry.kinds()[changed - n]) == {"apical"}


def test_a_selection_must_say_its_cell_in_a_multi_cell_system():
    a, b = two_cell_list()
    system = dx.compile([a, b], dt_ms=0.025, t_stop_ms=1.0)
    soma = a.select(kind="soma")
    with pytest.raises(ValueError, match="in_cell"):
        dx.ParameterMap(system, [dx.Trainable("cm", "cm", where=soma)])
    pm = dx.ParameterMap(system, [dx.Trainable("cm", "cm", where=soma.in_cell(1))])
    assert np.asarray(pm.entries[0].compartments).tolist() == [a.n_compartments]
    with pytest.raises(ValueError, match="cells 0..1"):
        dx.ParameterMap(system, [dx.Trainable("cm", "cm", where=soma.in_cell(2))])


def test_per_branch_sharing_names_the_cell():
    a, b = two_cell_list()
    system = dx.compile([a, b], dt_ms=0.025, t_stop_ms=1.0)
    pm = dx.ParameterMap(system, [dx.Trainable("cm", "cm", sharing=dx.PerBranch())])
    names = pm.group_names("cm")
    assert len(names) == 2 * a.geometry.n_branches
    assert (
        names[0] == "cell 0 branch 0" and names[-1] == f"cell 1 branch {a.geometry.n_branches - 1}"
    )


def test_location_cell_is_not_for_a_single_cell():
    cell = branched_cell()
    with pytest.raises(ValueError, match="Location.cell"):
        cell.record("v", dx.Location(0, 0.5, cell=1))
