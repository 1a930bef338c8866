"""Plots from the registry: ``multiact._plot`` and ``multiact plot``."""

from __future__ import annotations

import numpy as np
import pytest

import multiact
from multiact import ACTIVATIONS, _cli, _plot

pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("activation", [pytest.param(a, id=a.name) for a in ACTIVATIONS.values()])
def test_sample_is_the_function_and_its_vjp(activation):
    x, y, dy = _plot.sample(activation.name, dict(_plot.plot_variants(activation)[0]), points=41)
    assert x.shape == y.shape == dy.shape == (41,)
    assert (x[0], x[-1]) == activation.domain
    assert np.isfinite(y[1:-1]).all()  # log1mexp is -inf at its domain's left end only


def test_sample_matches_the_public_function_and_the_derivative_formula():
    x, y, dy = _plot.sample("gelu", {"approximate": "tanh"}, points=13)
    x32 = x.astype(np.float32)
    np.testing.assert_array_equal(y, multiact.gelu(x32, approximate="tanh"))
    np.testing.assert_array_equal(
        dy, multiact.vjp("gelu", x32, np.ones_like(x32), approximate="tanh")
    )


def test_row_functions_are_plotted_along_x():
    # softmax([x, 0])[0] is sigmoid(x); sparsemax([x, 0])[0] is sparse_sigmoid(x).
    x, y, dy = _plot.sample("softmax", points=25)
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(dy, y * (1 - y), rtol=1e-5, atol=1e-7)
    x, y, _ = _plot.sample("sparsemax", points=25)
    np.testing.assert_allclose(y, np.clip((x + 1) / 2, 0, 1), atol=1e-7)
    x, y, dy = _plot.sample("glu", points=25)  # glu([x, x]) = x sigmoid(x), silu
    np.testing.assert_allclose(y, multiact.silu(x.astype(np.float32)), rtol=1e-6)


def test_variants_come_from_the_registry():
    labels = [dict(v) for v in _plot.plot_variants(ACTIVATIONS["leaky_relu"])]
    assert labels == [{}, {"negative_slope": 0.2}]
    # An axis-only variant draws the same curve: left out.
    assert [dict(v) for v in _plot.plot_variants(ACTIVATIONS["softmax"])] == [{}]
    # Required parameters: the registry's variants only.
    assert _plot.plot_variants(ACTIVATIONS["threshold"]) == ACTIVATIONS["threshold"].variants


def test_figure_has_one_curve_per_variant_on_each_panel():
    figure = _plot.render("gelu")
    value_axes, slope_axes = figure.axes
    curves = [line for line in value_axes.get_lines() if line.get_label()[0] != "_"]
    assert [line.get_label() for line in curves] == [
        "gelu(approximate=none)",
        "gelu(approximate=tanh)",
    ]
    assert len([line for line in slope_axes.get_lines() if line.get_label()[0] != "_"]) == 2


def test_variants_that_coincide_stay_visible():
    # gelu's exact and tanh forms differ by at most 5e-4: drawn alike, one hides the other.
    figure = _plot.render("gelu")
    value_axes = figure.axes[0]
    curves = [line for line in value_axes.get_lines() if line.get_label()[0] != "_"]
    assert len({line.get_linestyle() for line in curves}) == 2
    assert curves[0].get_linewidth() > curves[1].get_linewidth()  # the later one on top
    (inset,) = value_axes.child_axes
    (difference,) = [line for line in inset.get_lines() if len(line.get_ydata()) > 2]
    _, exact, _ = _plot.sample("gelu")
    _, tanh, _ = _plot.sample("gelu", {"approximate": "tanh"})
    np.testing.assert_allclose(difference.get_ydata(), tanh - exact)
    assert 1e-4 < np.max(np.abs(difference.get_ydata())) < 1e-3
    # Curves that do not coincide need no inset.
    assert not _plot.render("leaky_relu").axes[0].child_axes


def test_cli_writes_a_real_png(tmp_path, capsys):
    out = tmp_path / "leaky.png"
    status = _cli.main(["plot", "leaky_relu", "--param", "negative_slope=0.2", "-o", str(out)])
    assert status == _cli.EXIT_OK == 0
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5_000  # a drawn figure, not an empty canvas
    assert str(out) in capsys.readouterr().out


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_cli_plots_on_other_backends(tmp_path, backend):
    pytest.importorskip(backend)
    out = tmp_path / "gelu.png"
    assert _cli.main(["plot", "gelu", "--backend", backend, "-o", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plot", "nosuch"], "multiact has no activation named 'nosuch'"),
        (["plot", "gelu", "--param", "beta=2"], "gelu has no parameter 'beta'"),
        (["plot", "gelu", "--param", "approximate=fast"], "'approximate' must be"),
        (["plot", "elu", "--param", "alpha=big"], "'big' is not a valid real"),
        (["plot", "elu", "--param", "alpha"], "expected NAME=VALUE"),
        (["plot", "celu", "--param", "alpha=0"], "must be non-zero"),
        (["plot", "relu", "--backend", "tensorflow"], "unknown backend 'tensorflow'"),
    ],
)
def test_cli_usage_errors_exit_2_with_the_reason(tmp_path, capsys, argv, message):
    out = tmp_path / "x.png"
    assert _cli.main([*argv, "-o", str(out)]) == _cli.EXIT_USAGE == 2
    err = capsys.readouterr().err
    assert err.startswith("multiact plot: error: ")
    assert message in err
    assert not out.exists()
