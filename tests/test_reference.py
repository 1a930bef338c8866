"""Every activation, on every backend and dtype, against PyTorch's own result.

Inputs are rounded to the dtype first (``as_dtype_values``) so every backend and the reference
see identical numbers; tolerances are torch.testing.assert_close's for the dtype.
"""

from __future__ import annotations

import pytest
from cases import VARIANTS, exact_reference, inputs
from multiact.conformance.reference import as_dtype_values, torch_paths, torch_reference
from multiact.conformance.tolerances import judge

from conftest import TARGET_DTYPES

pytest.importorskip("torch")


@pytest.mark.parametrize(("activation", "params"), VARIANTS)
@pytest.mark.parametrize(("target", "dtype"), TARGET_DTYPES)
def test_matches_torch(target, dtype, activation, params):
    values = as_dtype_values(inputs(activation, dtype), dtype)
    y = target.call(activation.name, target.asarray(values, dtype), params)
    paths = []
    if activation.names.torch is None:
        expected = exact_reference(activation, values, dtype, params)
    else:
        # PyTorch's own kernel is compared with itself, half-precision quirks included; where
        # its vectorised and scalar loops disagree (gelu(+inf)), either answer is PyTorch's.
        widen = target.name != "torch"
        expected = torch_reference(activation, values, dtype, params, widen=widen)
        paths = torch_paths(activation, values, dtype, params, widen=widen)
    result = judge(
        activation.name,
        params,
        "forward",
        target.name,
        dtype,
        values,
        target.to_numpy(y),
        expected,
        other_paths=paths,
    )
    assert result.ok, result.message
