"""Reading SWC files: parsing, error messages with line numbers, soma styles, branches."""

from pathlib import Path

import numpy as np
import pytest

import dendrax as dx
from dendrax.morphology import SomaStyle, SWCError, parse_swc

DATA = Path(dx.__file__).parent / "data"
FILES = sorted(DATA.glob("*.swc"))

# soma (1 point) with a basal tree that branches at id 3, an apical dendrite and an axon
SMALL = """\
# a small test cell
1 1 0 0 0 5 -1
2 3 6 0 0 1.0 1
3 3 12 0 0 0.9 2
4 3 20 4 0 0.8 3   # first child of the branch point
5 3 28 8 0 0.7 4

6 3 20 -4 0 0.6 3
7 4 0 8 0 2.0 1
8 4 0 20 0 1.5 7
9 2 0 -6 0 0.5 1
"""


def write(tmp_path, text, name="cell.swc"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_bundled_file_reads():
    assert len(FILES) == 4
    for path in FILES:
        morph = dx.read_swc(path)
        points = morph.points
        covered = np.sort(np.concatenate([b.points for b in morph.branches]))
        assert np.array_equal(covered, np.arange(points.n_points))  # every point exactly once
        assert all(b.parent < k for k, b in enumerate(morph.branches))
        assert morph.branches[0].kind == "soma"


def test_soma_styles_of_bundled_files():
    style = {p.stem: dx.read_swc(p).soma for p in FILES}
    assert style == {
        "c91662": SomaStyle.THREE_POINT,
        "ca1_n120": SomaStyle.MULTI_POINT,
        "grc_202-2-46nj": SomaStyle.THREE_POINT,
        "l5pc_with_axon": SomaStyle.MULTI_POINT,
    }


def test_small_cell_branches(tmp_path):
    morph = dx.read_swc(write(tmp_path, SMALL))
    assert morph.soma is SomaStyle.ONE_POINT
    ids = [morph.points.ids[b.points].tolist() for b in morph.branches]
    assert ids == [[1], [2, 3], [4, 5], [6], [7, 8], [9]]
    assert [b.parent for b in morph.branches] == [-1, 0, 1, 1, 0, 0]
    assert [b.kind for b in morph.branches] == ["soma", "basal", "basal", "basal", "apical", "axon"]
    # children of a one-point soma attach at its centre, others at their parent's end
    assert [b.parent_x for b in morph.branches[1:]] == [0.5, 1.0, 1.0, 0.5, 0.5]
    assert morph.branches[1].length_um == pytest.approx(6.0)
    assert morph.regions == ("soma", "basal", "apical", "axon")
    np.testing.assert_allclose(morph.branches[4].radius_um, [2.0, 1.5])


def test_comments_blank_lines_and_file_order_do_not_matter(tmp_path):
    reference = dx.read_swc(write(tmp_path, SMALL, "a.swc"))
    lines = [ln for ln in SMALL.splitlines() if ln and not ln.startswith("#")]
    shuffled = "\n".join(lines[::-1]) + "\n"  # children before parents, reversed ids
    other = dx.read_swc(write(tmp_path, shuffled, "b.swc"))
    assert len(other.branches) == len(reference.branches)
    for a, b in zip(reference.branches, other.branches):
        np.testing.assert_array_equal(a.xyz_um, b.xyz_um)
        assert (a.parent, a.parent_x, a.kind) == (b.parent, b.parent_x, b.kind)


def test_custom_types_are_labels(tmp_path):
    text = "1 1 0 0 0 5 -1\n2 7 5 0 0 1 1\n3 7 9 0 0 1 2\n4 0 -5 0 0 1 1\n5 0 -9 0 0 1 4\n"
    morph = dx.read_swc(write(tmp_path, text))
    assert [b.kind for b in morph.branches] == ["soma", "type_7", "type_0"]
    cell = dx.Cell.from_swc(tmp_path / "cell.swc", dx.NComp(2))
    assert len(cell.select(kind="type_7")) == 2


def test_neuromorpho_three_point_soma(tmp_path):
    text = "1 1 0 0 0 4 -1\n2 1 0 4 0 4 1\n3 1 0 -4 0 4 1\n4 3 5 0 0 1 1\n5 3 15 0 0 1 4\n"
    morph = dx.read_swc(write(tmp_path, text))
    assert morph.soma is SomaStyle.THREE_POINT
    soma = morph.branches[0]
    assert morph.points.ids[soma.points].tolist() == [2, 1, 3]  # a cylinder through the centre
    assert morph.branches[1].parent_x == pytest.approx(0.5)
    # a third point off the axis: a multi-point soma
    text2 = text.replace("3 1 0 -4 0 4 1", "3 1 3 -3 0 4 1")
    assert dx.read_swc(write(tmp_path, text2, "b.swc")).soma is SomaStyle.MULTI_POINT


def test_stacked_soma_stays_one_branch(tmp_path):
    text = (
        "1 1 0 0 0 2 -1\n2 1 0 2 0 4 1\n3 1 0 4 0 5 2\n4 1 0 6 0 3 3\n"
        "5 3 6 4 0 1 3\n6 3 12 4 0 1 5\n7 4 0 15 0 1 4\n"
    )
    morph = dx.read_swc(write(tmp_path, text))
    assert morph.soma is SomaStyle.MULTI_POINT
    assert morph.points.ids[morph.branches[0].points].tolist() == [1, 2, 3, 4]
    assert morph.branches[1].parent_x == pytest.approx(4 / 6)  # interior soma point
    assert morph.branches[2].parent_x == 1.0


def test_tree_without_soma(tmp_path):
    text = "1 3 0 0 0 1 -1\n2 3 5 0 0 1 1\n3 3 9 0 0 1 2\n"
    path = write(tmp_path, text)
    with pytest.raises(SWCError, match="no soma"):
        dx.read_swc(path)
    morph = dx.read_swc(path, require_soma=False)
    assert morph.soma is SomaStyle.NONE and len(morph.branches) == 1


def test_cell_from_swc_compiles():
    cell = dx.Cell.from_swc(DATA / "grc_202-2-46nj.swc", dx.NComp(1))
    assert cell.geometry.n_branches == 22
    system = dx.compile(cell, 0.025, 1.0)
    assert system.n_comp == 22


# --- errors: each names the file and the line --------------------------------------------

GOOD = ["1 1 0 0 0 5 -1", "2 3 5 0 0 1 1", "3 3 9 0 0 1 2", "4 3 13 0 0 1 3"]


def with_line(k, text):
    lines = list(GOOD)
    lines[k - 1] = text
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "text, line, words",
    [
        (with_line(3, "3 3 9 0 0 1"), 3, "expected 7 columns"),
        (with_line(3, "3 3 9 0 0 1 2 8"), 3, "found 8"),
        (with_line(2, "2 3 5 zero 0 1 1"), 2, "'zero', which is not a number"),
        (with_line(3, "3 3 9 0 0 0 2"), 3, "radius is 0"),
        (with_line(4, "4 3 13 0 0 -0.5 3"), 4, "radius is -0.5"),
        (with_line(4, "4 3 13 0 0 1 17"), 4, "parent id 17 does not exist"),
        (with_line(4, "2 3 13 0 0 1 3"), 4, "id 2 is already used on line 2"),
        (with_line(3, "3 3 9 0 0 1 3"), 3, "its own parent"),
        (with_line(3, "3.5 3 9 0 0 1 2"), 3, "not an integer"),
        (with_line(2, "2 3 nan 0 0 1 1"), 2, "not finite"),
        (with_line(4, "4 3 13 0 0 1 -1"), 4, "2 root points"),
        (with_line(1, "1 3 0 0 0 5 -1").replace("4 3 13", "4 1 13"), 1, "root point has type 3"),
        (with_line(4, "4 1 13 0 0 1 3"), 4, "hangs off a basal point"),
    ],
)
def test_errors_name_the_line(tmp_path, text, line, words):
    path = write(tmp_path, text, "bad.swc")
    with pytest.raises(SWCError) as info:
        dx.read_swc(path)
    message = str(info.value)
    assert "bad.swc" in message
    assert f"line {line}" in message
    assert words in message


def test_cycle_is_reported(tmp_path):
    text = "\n".join(GOOD + ["5 3 1 1 0 1 6", "6 3 2 2 0 1 5"]) + "\n"
    with pytest.raises(SWCError, match=r"bad.swc line 5: .*cycle"):
        parse_swc(write(tmp_path, text, "bad.swc"))
    loop = "1 1 0 0 0 5 2\n2 3 5 0 0 1 1\n"
    with pytest.raises(SWCError, match="no root"):
        parse_swc(write(tmp_path, loop, "loop.swc"))


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(SWCError, match="does not exist"):
        dx.read_swc(tmp_path / "nope.swc")
    with pytest.raises(SWCError, match="no points"):
        dx.read_swc(write(tmp_path, "# only a comment\n\n", "empty.swc"))
    assert issubclass(SWCError, ValueError)
