"""Build hook: ship the repository's docs/*.md inside the package as ``dendrax/docs/``.

docs/ stays the one source of the documents (the README links them there); the built wheel gets
a copy so that ``dendrax docs NAME`` finds them after a non-editable ``pip install``. Everything
else is configured in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DOCS = Path(__file__).resolve().parent / "docs"


class BuildPyWithDocs(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads docs/ from the checkout (dendrax.cli.docs_dir)
        target = Path(self.build_lib) / "dendrax" / "docs"
        target.mkdir(parents=True, exist_ok=True)
        for doc in sorted(DOCS.glob("*.md")):
            shutil.copyfile(doc, target / doc.name)


setup(cmdclass={"build_py": BuildPyWithDocs})
