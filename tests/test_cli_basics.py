"""`dendrax --version` and `dendrax docs`: the documents the help text refers to exist."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import dendrax as dx
from dendrax.cli import DOC_NAMES, docs_dir, main

ROOT = Path(__file__).resolve().parents[1]


def test_version_in_process(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"dendrax {dx.__version__}"


def test_version_command():
    out = subprocess.run(
        [sys.executable, "-m", "dendrax.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"dendrax {dx.__version__}"


def test_every_listed_document_exists():
    folder = docs_dir()
    assert folder is not None
    for name in DOC_NAMES:
        assert (folder / f"{name}.md").is_file(), name


def test_docs_command_lists_shows_and_locates(capsys):
    assert main(["docs"]) == 0
    listing = capsys.readouterr().out
    assert "model_format" in listing and "fit_format" in listing
    assert main(["docs", "model_format", "--path"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.is_file() and path.name == "model_format.md"
    assert main(["docs", "fit_format.md"]) == 0
    assert capsys.readouterr().out == (path.parent / "fit_format.md").read_text(encoding="utf-8")


def test_unknown_document_names_the_choices(capsys):
    assert main(["docs", "nope"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "model_format" in err


def test_help_points_to_the_docs_command():
    for cmd in ("simulate", "fit"):
        out = subprocess.run(
            [sys.executable, "-m", "dendrax.cli", cmd, "--help"], capture_output=True, text=True
        ).stdout
        assert "dendrax docs" in " ".join(out.split()), cmd


@pytest.mark.slow
def test_wheel_ships_the_docs(tmp_path):
    """A non-editable install gets docs/*.md as dendrax/docs/ (setup.py's build hook)."""
    src = tmp_path / "project"  # a copy: building in place would write build/ into the checkout
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("src", "docs"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("*.egg-info"))
    out = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
        check=True,
    )
    (wheel,) = out.glob("dendrax-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in DOC_NAMES:
        assert f"dendrax/docs/{name}.md" in names, name
    # every data file the package reads at run time (load_mod's grammar was once missing)
    for data in ("dendrax/io/nmodl/grammar.lark", "dendrax/data/l5pc_with_axon.swc"):
        assert data in names, data


def test_every_data_file_of_the_package_is_declared_package_data():
    """A file under src/dendrax that is not Python reaches a (non-editable) install only if
    pyproject.toml lists it in package-data; load_mod's grammar once did not."""
    import fnmatch

    tomllib = pytest.importorskip("tomllib", reason="Python >= 3.11 reads TOML")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["dendrax"]
    package = ROOT / "src" / "dendrax"
    data = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert "io/nmodl/grammar.lark" in data
    for name in data:
        assert any(fnmatch.fnmatch(name, pat) for pat in patterns), name
