"""The C extensions; everything else is declared in pyproject.toml.

``multiact._ufuncs``, the compiled loops of the NumPy backend, and ``multiact._dispatcher``, the
public functions' first step. Both are optional: where one cannot be built (no C compiler, no
Python headers) the package installs without it, and runs the NumPy backend's generic kernels
(backends/_compiled.py) or the public functions as Python functions (multiact/_dispatch.py).
Set MULTIACT_NO_EXTENSION=1 to install without them on purpose.
"""

import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class _OptionalBuildExt(build_ext):
    """build_ext that leaves the extension out, with a note, where it fails to build."""

    def run(self):
        try:
            super().run()
        except Exception as error:  # no compiler at all: distutils raises before compiling
            print(f"multiact: the C extensions were not built ({error}); running without them")

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as error:
            print(f"multiact: {ext.name} was not built ({error}); running without it")


def _extensions():
    if os.environ.get("MULTIACT_NO_EXTENSION"):
        return []
    dispatcher = Extension("multiact._dispatcher", ["multiact/_dispatcher.c"], optional=True)
    try:
        import numpy
    except ImportError:  # pyproject.toml's build requirements provide it; a bare build may not
        return [dispatcher]
    return [
        dispatcher,
        Extension(
            "multiact._ufuncs",
            ["multiact/_ufuncs.c"],
            depends=["multiact/_ufuncs_dd.h", "multiact/_ufuncs_phi.h"],
            include_dirs=[numpy.get_include()],
            # -O3 vectorises the loops, and -fno-trapping-math lets it compute both sides of a
            # selection (the loops clear the flags that raises). No -ffast-math: NaN, inf and
            # -0.0 must stay exact, and no operation may be reassociated.
            extra_compile_args=(
                ["-O3", "-fno-math-errno", "-fno-trapping-math"] if os.name != "nt" else ["/O2"]
            ),
            define_macros=[("NPY_TARGET_VERSION", "NPY_2_0_API_VERSION")],
            optional=True,
        ),
    ]


setup(ext_modules=_extensions(), cmdclass={"build_ext": _OptionalBuildExt})
