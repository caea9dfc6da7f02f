"""Fixtures shared by the figure tests (they opt in with `pytestmark = pytest.mark.usefixtures(...)`)."""
import matplotlib
import matplotlib.pyplot as plt
import pytest

from lib.plotting import figures


@pytest.fixture
def agg_backend_and_no_leaks():
    """Run a test with the Agg backend and check that it leaves no figure open."""
    previous = matplotlib.get_backend()
    plt.switch_backend("Agg")
    yield
    assert plt.get_fignums() == [], "a figure was left open"
    if previous.lower() != "agg":
        plt.switch_backend(previous)


@pytest.fixture
def show_calls(monkeypatch):
    """Record every plt.show() call instead of opening a window."""
    calls = []
    monkeypatch.setattr(figures.plt, "show", lambda *args, **kwargs: calls.append(args))
    return calls


@pytest.fixture
def drawn_figures(monkeypatch):
    """Keep the figures that the plot functions finish, instead of saving/showing/closing them."""
    drawn = []
    monkeypatch.setattr(figures, "finish", lambda fig, save_path, show, **kwargs: drawn.append(fig))
    yield drawn
    for fig in drawn:
        plt.close(fig)
