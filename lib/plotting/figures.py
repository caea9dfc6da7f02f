"""Saving and showing figures, safe on headless machines: the one place that decides about windows.

Importing this module selects matplotlib's non-interactive Agg backend when there is no display
(Linux and other X11/Wayland systems without DISPLAY or WAYLAND_DISPLAY), before pyplot is
imported, unless the user chose a backend with the MPLBACKEND environment variable. `plt.show()`
is then only called with an interactive backend, so nothing blocks or fails on a server or in CI,
and figures that are not shown are closed so that repeated calls do not accumulate memory.
Figures are saved as PNGs, atomically, where the caller says (`plot_data` also saves under
`results/` when no window shows its figure, so nothing drawn is lost on a machine without a display).
"""
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Optional

import matplotlib


def display_available() -> bool:
    """Whether a window can open: always on Windows and macOS, elsewhere only with an X11 or Wayland display."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# Must happen before pyplot is imported; an explicit MPLBACKEND is the user's choice and wins.
if not os.environ.get("MPLBACKEND") and not display_available():
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after the backend choice above)

from lib import utilities  # noqa: E402

PathLike = utilities.PathLike
# Backends that render to files only; plt.show() with them does nothing useful (matplotlib warns).
_NON_INTERACTIVE_BACKENDS = frozenset({"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"})


def default_png_path(title: str) -> Path:
    """`results/<title as a file name>.png`: "Shifted data." -> results/shifted_data.png, "" -> results/figure.png."""
    stem = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "figure"
    return utilities.RESULTS_DIR / (stem + ".png")


def checked_png_path(save_path: Optional[PathLike]) -> Optional[Path]:
    """`save_path` as a Path (None stays None); ValueError unless it ends in `.png`."""
    if save_path is None:
        return None
    path = Path(save_path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_path must end in .png, got {str(save_path)!r}")
    return path


def backend_is_interactive() -> bool:
    """Whether matplotlib's current backend can open a window."""
    return matplotlib.get_backend().lower() not in _NON_INTERACTIVE_BACKENDS


def will_show(show: Optional[bool]) -> bool:
    """Whether `show` will open a window here (as `should_show` decides, without its warning)."""
    return (display_available() if show is None else bool(show)) and backend_is_interactive()


def should_show(show: Optional[bool]) -> bool:
    """Decide whether to call plt.show(): None opens a window only where a display exists; True asks
    for one even without a detected display (it warns when the backend cannot open one); False never."""
    wanted = display_available() if show is None else bool(show)
    if wanted and not backend_is_interactive():
        if show:  # the caller asked explicitly: say why no window appears
            warnings.warn(f"show=True, but matplotlib's backend {matplotlib.get_backend()!r} cannot open a "
                          "window (no display?); set MPLBACKEND to an interactive backend such as TkAgg",
                          UserWarning, stacklevel=4)  # 4: the caller of plot_*
        return False
    return wanted


def finish(fig: "plt.Figure", save_path: Optional[Path], show: Optional[bool], best_effort: bool = False) -> None:
    """Save `fig` if asked, then show it, or close it so that figures do not pile up across calls.

    With `best_effort` (a file the caller did not ask for), a failure to write it only warns.
    """
    try:
        if save_path is not None:
            try:
                utilities.atomic_write(save_path, lambda f: fig.savefig(f, format="png"))
            except OSError as error:
                if not best_effort:
                    raise
                warnings.warn(f"could not save the figure to {save_path}: {error}", UserWarning, stacklevel=3)
        showing = should_show(show)
    except BaseException:
        plt.close(fig)
        raise
    if showing:
        plt.show()
    else:
        plt.close(fig)
