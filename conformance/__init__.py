"""The conformance engine: every backend against the PyTorch reference.

Installed as ``multiact.conformance``. ``targets`` describes each backend under test (how to
build its arrays and call it), ``reference`` computes PyTorch's answer for an activation
straight from ``torch.nn.functional`` (never through multiact), and ``tolerances`` holds the
per-dtype tolerances and the comparison. The library's own test suite is built on it.
"""
