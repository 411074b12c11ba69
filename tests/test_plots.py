"""The book's figures: every one has a title and labelled axes; spread charts show one band per series."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from lecnotes.plots import bar_chart, image_grid, line_chart, spread_chart


def labels(ax) -> tuple[str, str, str]:
    return ax.get_title(), ax.get_xlabel(), ax.get_ylabel()


def test_line_chart():
    fig = line_chart({"train": [1.0, 0.5, 0.25], "valid": [1.2, 0.8, 0.9]}, "Loss per epoch", "epoch", "loss")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert labels(ax) == ("Loss per epoch", "epoch", "loss")
    assert len(ax.lines) == 2
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]  # default x is 1, 2, ...
    assert list(ax.lines[1].get_ydata()) == [1.2, 0.8, 0.9]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "valid"]


def test_line_chart_lines_differ_by_more_than_colour():
    fig = line_chart({str(i): [i, i + 1] for i in range(4)}, "t", "x", "y")
    styles = {(line.get_linestyle(), line.get_marker()) for line in fig.axes[0].lines}
    assert len(styles) == 4  # readable in grey print


def test_line_chart_custom_x_and_single_series():
    fig = line_chart({"acc": [0.5, 0.7]}, "Accuracy", "p", "accuracy", x=[0.1, 0.5])
    ax = fig.axes[0]
    assert list(ax.lines[0].get_xdata()) == [0.1, 0.5]
    assert ax.get_legend() is None  # one series: no legend needed


def test_figures_are_closed():
    before = plt.get_fignums()
    line_chart({"a": [1, 2]}, "t", "x", "y")
    spread_chart({"a": torch.rand(2, 3)}, "t", "x", "y")
    image_grid(torch.rand(1, 2, 4, 4), "t")
    assert plt.get_fignums() == before


def test_spread_chart_band_per_series():
    a = torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, 5.0, 2.0]])
    b = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    fig = spread_chart({"p=0": a, "p=0.5": b}, "Validation loss", "epoch", "loss")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert labels(ax) == ("Validation loss", "epoch", "loss")
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 and len(ax.lines) == 2
    # the line is the mean over seeds
    np.testing.assert_allclose(ax.lines[0].get_ydata(), a.mean(0).numpy())
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.5, 0.5, 0.5])
    # the band spans min to max over seeds
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(1.0) and ys.max() == pytest.approx(5.0)
    ys = bands[1].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(0.0) and ys.max() == pytest.approx(1.0)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0].startswith("p=0 (mean of 3") and texts[1].startswith("p=0.5 (mean of 2")


def test_spread_chart_band_has_the_series_colour():
    fig = spread_chart({"a": torch.rand(2, 4), "b": torch.rand(2, 4)}, "t", "x", "y")
    ax = fig.axes[0]
    for band, line in zip(ax.collections, ax.lines, strict=True):
        np.testing.assert_allclose(band.get_facecolor()[0][:3],
                                   plt.matplotlib.colors.to_rgb(line.get_color()))
    assert ax.lines[0].get_color() != ax.lines[1].get_color()


def test_spread_chart_custom_x_and_log_scale():
    fig = spread_chart({"a": [[1.0, 2.0], [2.0, 3.0]]}, "t", "lr", "loss", x=[1e-3, 1e-2], xscale="log")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert list(ax.lines[0].get_xdata()) == [1e-3, 1e-2]


def test_image_grid():
    images = torch.rand(2, 3, 8, 8)
    fig = image_grid(images, "Some images", row_labels=["a", "b"], col_labels=["x", "y", "z"],
                     xlabel="column", ylabel="row")
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() == "Some images"
    assert fig.get_supxlabel() == "column" and fig.get_supylabel() == "row"
    assert len(fig.axes) == 6
    assert [fig.axes[c].get_title() for c in range(3)] == ["x", "y", "z"]
    assert [fig.axes[r * 3].get_ylabel() for r in range(2)] == ["a", "b"]
    np.testing.assert_allclose(fig.axes[4].images[0].get_array(), images[1, 1].numpy())


def test_image_grid_single_cell():
    fig = image_grid(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), "One")
    assert fig.get_suptitle() == "One" and len(fig.axes) == 1


def test_bar_chart_bars_in_order_with_values_and_target():
    fig = bar_chart({"first": 10.0, "second": 40.0, "third": 25.0}, "Times", "seconds",
                    ylabel="chapter", target=45, target_label="target: 45 s")
    ax = fig.axes[0]
    assert labels(ax) == ("Times", "seconds", "chapter")
    bars = sorted(ax.patches, key=lambda b: -b.get_y())  # top to bottom
    assert [b.get_width() for b in bars] == [10.0, 40.0, 25.0]
    ticks = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])  # top to bottom
    assert [t.get_text() for t in ticks] == ["first", "second", "third"]
    assert [t.get_text() for t in ax.texts] == ["10.0", "40.0", "25.0"]
    (line,) = ax.lines
    assert line.get_xdata()[0] == 45 and line.get_label() == "target: 45 s"
    assert ax.get_legend() is not None
    assert ax.get_xlim()[1] > 45  # the target line is inside the axes
    assert not plt.fignum_exists(fig.number)


def test_bar_chart_without_target_and_custom_format():
    fig = bar_chart({"small body": 35.41, "resnet18": 95.8}, "Speed-up", "times faster", fmt="{:.0f}x")
    ax = fig.axes[0]
    assert len(ax.lines) == 0 and ax.get_legend() is None
    assert [t.get_text() for t in ax.texts] == ["35x", "96x"]


def test_bar_chart_rejects_empty_values():
    with pytest.raises(ValueError, match="values"):
        bar_chart({}, "Nothing", "x")


def test_axis_options_set_the_scale_ticks_limits_and_reference_line():
    fig = spread_chart({"a": torch.rand(3, 4) + 0.1}, "T", "p", "loss", x=[0.01, 0.1, 0.5, 0.9],
                       xscale="log", xticks=[0.01, 0.1, 0.5, 0.9], ylim=(0.0, 2.0), ref=(1.0, "chance"))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylim() == (0.0, 2.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.01", "0.1", "0.5", "0.9"]
    assert "chance" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_image_grid_own_scale_per_panel_by_default():
    images = torch.stack([torch.rand(4, 4), 2 * torch.rand(4, 4)])[None]  # second panel twice as large
    fig = image_grid(images, "Own scales")
    for ax, image in zip(fig.axes, images[0], strict=True):
        assert ax.images[0].get_clim() == pytest.approx((image.min().item(), image.max().item()))


def test_image_grid_vmin_vmax_share_one_scale():
    x = torch.rand(4, 4) + 0.5
    images = torch.stack([x, 2 * x, torch.zeros(4, 4)])[None]  # [1 row, 3 panels, 4, 4]
    fig = image_grid(images, "One scale", vmin=0.0, vmax=3.0)
    assert [ax.images[0].get_clim() for ax in fig.axes] == [(0.0, 3.0)] * 3
    # the same value is the same grey in every panel, so the doubled panel is brighter
    grey = [ax.images[0].norm(ax.images[0].get_array()) for ax in fig.axes]
    np.testing.assert_allclose(grey[1], 2 * grey[0], rtol=1e-6)
    np.testing.assert_allclose(grey[2], 0.0)


def test_image_grid_rejects_vmin_not_below_vmax():
    with pytest.raises(ValueError, match="vmin"):
        image_grid(torch.rand(1, 1, 4, 4), "Bad", vmin=1.0, vmax=1.0)


@pytest.mark.parametrize("series, x, error, match", [
    ([0.5, 0.4], None, TypeError, "non-empty dict"),
    ({}, None, TypeError, "non-empty dict"),
    ({"a": "0.5"}, None, TypeError, r"series\['a'\] must be numbers"),
    ({"a": [[0.5, 0.4]]}, None, ValueError, r"shape \[n_points\]"),
    ({"a": [0.5, 0.4, 0.3]}, [1, 2], ValueError, "len\\(x\\) = 2"),
])
def test_line_chart_names_series_that_would_be_drawn_wrong(series, x, error, match):
    with pytest.raises(error, match=match):
        line_chart(series, "T", "x", "y", x=x)


@pytest.mark.parametrize("series, x, match", [
    ({"a": torch.rand(5)}, None, r"\[n_seeds, n_points\]"),           # one run, not [seeds, points]
    ({"a": torch.rand(3, 4)}, [0, 0.5, 0.75], "len\\(x\\) = 3"),       # [points, seeds], transposed
    ({"a": torch.rand(3, 0)}, None, r"\[n_seeds, n_points\]"),
])
def test_spread_chart_names_a_tensor_of_the_wrong_shape(series, x, match):
    with pytest.raises(ValueError, match=match):
        spread_chart(series, "T", "x", "y", x=x)


def test_image_grid_names_images_and_labels_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"images must be a tensor \[rows, cols, H, W\]"):
        image_grid(torch.rand(3, 8, 8), "T")                      # one row, not wrapped
    with pytest.raises(ValueError, match="row_labels must have 2 labels"):
        image_grid(torch.rand(2, 3, 8, 8), "T", row_labels=["a"])
    with pytest.raises(TypeError, match="col_labels must be a list"):
        image_grid(torch.rand(2, 3, 8, 8), "T", col_labels="abc")  # a string read as 3 labels


@pytest.mark.parametrize("values, error", [({"a": float("nan")}, ValueError),
                                           ({"a": "12"}, TypeError), ({"a": None}, TypeError)])
def test_bar_chart_names_a_value_that_is_not_a_finite_number(values, error):
    with pytest.raises(error, match=r"values\['a'\]"):
        bar_chart(values, "T", "s")


@pytest.mark.parametrize("options, match", [({"xticks": [1, 2], "xticklabels": ["a"]}, "xticklabels"),
                                            ({"ylim": (1.0, 0.5)}, "bottom < top"),
                                            ({"ylim": (0.0, float("inf"))}, "ylim\\[1\\]")])
def test_axis_options_name_ticks_and_limits_that_do_not_fit(options, match):
    with pytest.raises((TypeError, ValueError), match=match):
        line_chart({"a": [1.0, 2.0]}, "T", "x", "y", **options)
