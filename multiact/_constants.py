"""Constants of the activations' definitions, written once for the kernels and the exact
(mpmath) definitions alike."""

from __future__ import annotations

__all__ = ["SELU_ALPHA", "SELU_ALPHA_DIGITS", "SELU_SCALE", "SELU_SCALE_DIGITS"]

#: SELU's alpha and scale (Klambauer et al. 2017) to 32 digits, as PyTorch's kernel states
#: them; the floats are these rounded to float64.
SELU_ALPHA_DIGITS = "1.6732632423543772848170429916717"
SELU_SCALE_DIGITS = "1.0507009873554804934193349852946"
SELU_ALPHA = float(SELU_ALPHA_DIGITS)
SELU_SCALE = float(SELU_SCALE_DIGITS)
