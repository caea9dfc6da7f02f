"""Specification of the figures: what plot_data draws, PNGs saved atomically, no window and no
leaked figure on a headless machine, clear errors for bad input, and the plot_mnist script."""
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

import plot_mnist
from layer_fixtures import png_size
from lib import dataset_mnist
from lib.plotting import figures
from lib.plot_images import plot_data
from recording import record

REPO_ROOT = Path(__file__).resolve().parent.parent


def images(n=20, channels=1, size=6):
    return np.random.default_rng(0).random((n, channels, size, size))


@pytest.fixture(autouse=True)
def in_a_temporary_directory(tmp_path, monkeypatch):
    """plot_data saves under results/ of the working directory by default: keep that out of the repository."""
    monkeypatch.chdir(tmp_path)


pytestmark = pytest.mark.usefixtures("agg_backend_and_no_leaks")


# --- what plot_data draws ------------------------------------------------------------------------

def test_plot_data_draws_channel_0_of_the_first_rows_times_cols_images(drawn_figures):
    data = images(n=10, channels=3)
    plot_data(data, rows=2, cols=3, title="Some images", labels=list("abcdef"))
    (fig,) = drawn_figures
    assert len(fig.axes) == 6
    assert fig._suptitle.get_text() == "Some images"
    for i, ax in enumerate(fig.axes):
        np.testing.assert_array_equal(ax.images[0].get_array(), data[i, 0])
        assert ax.images[0].get_cmap().name == "gray"
        assert ax.get_title() == "abcdef"[i]
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
        assert ax.axison  # plot_border=True keeps the frame


def test_plot_data_uses_one_grey_scale_for_the_whole_grid(drawn_figures):
    data = images(n=4)
    plot_data(data, rows=2, cols=2)
    limits = {ax.images[0].get_clim() for ax in drawn_figures[0].axes}
    assert limits == {(data[:4, 0].min(), data[:4, 0].max())}


def test_plot_border_false_hides_the_axes(drawn_figures):
    plot_data(images(), rows=5, cols=4, plot_border=False)
    assert not any(ax.axison for ax in drawn_figures[0].axes)


# --- saving and showing --------------------------------------------------------------------------

def test_plot_data_saves_a_png_atomically_creating_directories(tmp_path, show_calls):
    path = tmp_path / "results" / "nested" / "grid.png"
    plot_data(images(), rows=5, cols=4, title="grid", labels=range(20), save_path=path)
    width, height = png_size(path)
    assert 300 <= width <= 2000 and 300 <= height <= 2000
    assert plt.imread(str(path)).shape[:2] == (height, width)
    assert os.listdir(str(path.parent)) == ["grid.png"]  # no temporary file left behind
    assert show_calls == []


def test_plot_data_without_a_path_is_saved_under_results_by_its_title_when_no_window_shows_it(
        tmp_path, show_calls):
    plot_data(images(), rows=5, cols=4, title="Validation and shifted validation data.")
    assert os.listdir("results") == ["validation_and_shifted_validation_data.png"]
    png_size(tmp_path / "results" / "validation_and_shifted_validation_data.png")
    plot_data(images(), rows=5, cols=4)
    assert sorted(os.listdir("results")) == ["figure.png", "validation_and_shifted_validation_data.png"]


def test_plot_data_shown_in_a_window_writes_no_file_unless_asked(tmp_path, monkeypatch, show_calls):
    monkeypatch.setattr(figures, "backend_is_interactive", lambda: True)
    monkeypatch.setattr(figures, "display_available", lambda: True)
    plot_data(images(), rows=5, cols=4, title="On screen")
    plt.close("all")
    assert len(show_calls) == 1 and not (tmp_path / "results").exists()


def test_plot_data_only_warns_when_its_default_file_cannot_be_written(tmp_path, show_calls):
    (tmp_path / "results").write_text("a file where the folder would go")
    with pytest.warns(UserWarning, match="could not save the figure to results"):
        plot_data(images(), rows=5, cols=4, title="grid")


def test_plot_data_does_not_call_show_under_agg(show_calls):
    plot_data(images(), show=None)
    with pytest.warns(UserWarning, match="show=True, but matplotlib's backend '(?i:agg)' cannot open a window"):
        plot_data(images(), show=True)
    assert show_calls == []


def test_show_none_opens_a_window_only_where_a_display_exists(monkeypatch, show_calls):
    monkeypatch.setattr(figures, "backend_is_interactive", lambda: True)
    monkeypatch.setattr(figures, "display_available", lambda: False)
    plot_data(images())
    assert show_calls == []
    monkeypatch.setattr(figures, "display_available", lambda: True)
    plot_data(images())
    assert len(show_calls) == 1
    plt.close("all")  # the "shown" figure stays open, as it would in a window
    plot_data(images(), show=False)
    assert len(show_calls) == 1


def test_show_true_forces_a_window_without_a_detected_display(monkeypatch, show_calls):
    monkeypatch.setattr(figures, "backend_is_interactive", lambda: True)
    monkeypatch.setattr(figures, "display_available", lambda: False)
    plot_data(images(), show=True)
    assert len(show_calls) == 1
    plt.close("all")


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="these systems always have a display")
@pytest.mark.parametrize("mplbackend, expected", [(None, "agg"), ("svg", "svg")])
def test_import_selects_agg_without_a_display_but_respects_mplbackend(mplbackend, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    if mplbackend:
        env["MPLBACKEND"] = mplbackend
    code = "import matplotlib, lib.plot_images; print(matplotlib.get_backend())"
    result = subprocess.run([sys.executable, "-c", code], cwd=str(REPO_ROOT), env=env,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip().lower() == expected


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, message", [
    ({"data": np.zeros((20, 28, 28))}, ValueError, (r"data must have shape \(N, C, H, W\) with C >= 1, got shape "
                                                    r"\(20, 28, 28\)")),
    ({"data": np.zeros((20, 0, 28, 28))}, ValueError, r"with C >= 1, got shape \(20, 0, 28, 28\)"),
    ({"data": np.zeros((8, 1, 28, 28))}, ValueError, r"data must hold at least rows\*cols = 20 images, got 8"),
    ({"rows": 0}, ValueError, "rows must be a positive int, got 0"),
    ({"cols": 2.5}, TypeError, "cols must be a positive int, got 2.5"),
    ({"labels": [1, 2, 3]}, ValueError, r"labels must hold at least rows\*cols = 20 entries, got 3"),
    ({"save_path": "grid.jpg"}, ValueError, r"save_path must end in \.png, got 'grid\.jpg'"),
])
def test_plot_data_rejects_bad_input(kwargs, error, message, show_calls):
    arguments = {"data": images(), "rows": 5, "cols": 4}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        plot_data(**arguments)


def test_a_failed_save_closes_the_figure(tmp_path, show_calls):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        plot_data(images(), save_path=blocker / "grid.png")
    # the autouse fixture checks that no figure is left open


# --- the plot_mnist script -----------------------------------------------------------------------

def test_plot_mnist_prints_the_course_lines_and_saves_labelled_samples(tmp_path, monkeypatch, capsys, show_calls):
    monkeypatch.setattr(dataset_mnist, "_download", lambda url: pytest.fail("touched the network"))
    calls = []
    record(monkeypatch, plot_mnist, "plot_data", calls, keep=dict)
    monkeypatch.chdir(tmp_path)
    plot_mnist.main([])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Load MNIST data."
    assert out[4:6] == ["Plot training data.", "(50000, 1, 28, 28)"]
    (kwargs,) = calls
    assert {k: kwargs[k] for k in ("rows", "cols", "plot_border", "title")} == {
        "rows": 5, "cols": 4, "plot_border": False, "title": "MNIST Training data"}
    assert list(kwargs["labels"][:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the published first training labels
    width, height = png_size(tmp_path / "results" / "mnist_samples.png")
    assert 400 <= width <= 1500 and 400 <= height <= 1500
    assert show_calls == []
