"""``dendrax mod-check FILE.mod...``: one line per file (imported, or not imported with the
file, line, construct and what to do) and a non-zero exit status if any file fails."""

from pathlib import Path

import pytest

from dendrax.cli import main

MOD_DIR = Path(__file__).parent / "validation" / "nmodl" / "mod"

POINTER = """NEURON {
    SUFFIX ptr
    POINTER vpre
}
ASSIGNED { vpre }
BREAKPOINT { }
"""


def test_importable_files_are_reported_with_their_suffix(capsys):
    files = [str(MOD_DIR / "cagk.mod"), str(MOD_DIR / "nae.mod")]
    assert main(["mod-check", *files]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"{files[0]}: imported: SUFFIX cagk; parameters pbar; GLOBALs q10; states m; "
        "ions read cai, cao"
    )
    assert lines[1].startswith(f"{files[1]}: imported: SUFFIX nae; parameters gnabar, gl")
    assert lines[2] == "2 of 2 file(s) imported"


def test_a_refused_construct_names_file_line_construct_and_fix(tmp_path, capsys):
    bad = tmp_path / "ptr.mod"
    bad.write_text(POINTER)
    good = str(MOD_DIR / "kdrold.mod")
    assert main(["mod-check", good, str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{good}: imported: SUFFIX kdrold")
    assert lines[1].startswith(f"{bad}: not imported: {bad}:3: POINTER")
    assert lines[2] == "1 of 2 file(s) imported"


def test_syntax_errors_and_missing_files_fail(tmp_path, capsys):
    broken = tmp_path / "broken.mod"
    broken.write_text("NEURON { SUFFIX b }\nBREAKPOINT {\n  x = = 1\n}\n")
    missing = tmp_path / "missing.mod"
    assert main(["mod-check", str(broken)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{broken}: not imported: {broken}:3:")
    assert main(["mod-check", str(missing)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{missing}: not imported: {missing}: cannot be read (FileNotFoundError")
    assert out.count("\n") == 1


def test_at_least_one_file_is_required(capsys):
    with pytest.raises(SystemExit) as e:
        main(["mod-check"])
    assert e.value.code == 2
    assert "FILE.mod" in capsys.readouterr().err


def test_a_point_process_is_reported_as_one(capsys):
    mod = MOD_DIR / "dxexpsyn.mod"
    assert main(["mod-check", str(mod)]) == 0
    out = capsys.readouterr().out
    assert f"{mod}: imported: POINT_PROCESS " in out and "SUFFIX" not in out
