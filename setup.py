"""Only one thing pyproject.toml cannot say: a built wire carries the top-level `wit/`
(its worlds and hostcall op schemas) as `wire/_wit`, where `wire.paths` finds it when
there is no checkout around the package."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithWit(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install reads the checkout's wit/
            target = Path(self.build_lib) / "wire" / "_wit"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(Path(__file__).parent / "wit", target)


setup(cmdclass={"build_py": BuildWithWit})
