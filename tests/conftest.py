"""Shared fixtures: small cells built with the Python API."""

import pytest

import dendrax as dx


def branched_cell(mechanism="hh") -> dx.Cell:
    """Soma + two dendrites at soma x=1, one at soma x=0, two grandchildren: 6 branches, 31
    compartments, junction nodes at both soma ends and at a dendrite end."""
    bg = dx.BranchGeometry.cylinder
    cell = dx.Cell(
        [
            bg(20.0, 20.0, 1, kind="soma", name="soma"),
            bg(200.0, [3.0, 2.8, 2.6, 2.4, 2.2, 2.0, 1.9, 1.8, 1.7, 1.6], parent=0, kind="apical"),
            bg(100.0, 1.0, 5, parent=0, parent_x=0.0, kind="basal"),
            bg(100.0, 1.2, 5, parent=1, parent_x=1.0, kind="apical"),
            bg(80.0, 0.8, 5, parent=1, parent_x=1.0, kind="apical"),
            bg(50.0, 1.0, 5, parent=0, parent_x=1.0, kind="apical"),
        ]
    )
    cell.set_cable(Ra_ohm_cm=100.0)
    if mechanism == "hh":
        cell.insert(dx.HH())
    else:
        cell.insert(dx.HH(), where=cell.select(kind="soma"))
        cell.insert(dx.Pas(g=1e-4, e=-65.0), where=cell.select(kind=["apical", "basal"]))
    cell.stimulate(dx.IClamp(2.0, 10.0, 0.5), at=(0, 0.5))
    cell.record("v", (0, 0.5), key="v_soma")
    cell.record("v", (3, 1.0), key="v_tip")
    return cell


@pytest.fixture
def cell():
    return branched_cell()
