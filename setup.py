"""The compiled loops (multiact._ufuncs); everything else is declared in pyproject.toml.

The extension is optional: where it cannot be built (no C compiler, no Python headers) the
package installs without it and the NumPy backend runs its NumPy kernels instead
(backends/_compiled.py). Set MULTIACT_NO_EXTENSION=1 to install without it on purpose.
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
            print(f"multiact: the compiled loops were not built ({error}); using NumPy kernels")

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as error:
            print(f"multiact: {ext.name} was not built ({error}); using NumPy kernels")


def _extensions():
    if os.environ.get("MULTIACT_NO_EXTENSION"):
        return []
    try:
        import numpy
    except ImportError:  # pyproject.toml's build requirements provide it; a bare build may not
        return []
    return [
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
        )
    ]


setup(ext_modules=_extensions(), cmdclass={"build_ext": _OptionalBuildExt})
