"""Build hook: the bundled Pingshan layers (data/geo) go into the wheel as ecomap/data/geo.

Everything else is declared in pyproject.toml. The layers stay in data/geo at the
repository root (where scripts/ derive them); a wheel carries a copy so that
``pip install ecomap`` followed by ``ecomap build`` finds them.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = Path(__file__).resolve().parent / "data" / "geo"


class BuildPyWithData(build_py):
    """``build_py`` that also copies ``data/geo/*`` into ``ecomap/data/geo``."""

    def run(self):
        super().run()
        if self.editable_mode or not DATA.is_dir():
            return  # an editable install reads data/geo in place
        dest = Path(self.build_lib) / "ecomap" / "data" / "geo"
        dest.mkdir(parents=True, exist_ok=True)
        for src in sorted(DATA.iterdir()):
            if src.is_file() and src.suffix in {".geojson", ".md"}:
                self.copy_file(str(src), str(dest / src.name))


setup(cmdclass={"build_py": BuildPyWithData})
