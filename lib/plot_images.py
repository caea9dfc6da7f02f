"""Image figures of the course: `plot_data`, the grid of MNIST digits the course's scripts draw.

Headless-safe (see `lib.plotting.figures`, imported first so that it can choose the backend): every figure
is saved as a PNG under `results/` or where the caller says, and a window opens only where one can.

Shape letters: N images, C channels, H height, W width.
"""
from typing import Optional, Sequence

from lib.plotting import figures  # first: it selects matplotlib's backend before pyplot is imported
import matplotlib.pyplot as plt
import numpy as np

from lib.checks import check_positive_int

PathLike = figures.PathLike


def plot_data(data: np.ndarray, rows: int = 5, cols: int = 4, plot_border: bool = True, title: str = "",
              labels: Optional[Sequence] = None, save_path: Optional[PathLike] = None,
              show: Optional[bool] = None) -> None:
    """Draw the first rows*cols images (channel 0) in a greyscale grid.

    All images share one grey scale (the minimum and maximum of the drawn images), so their
    brightness can be compared.

    Args:
        data: images, shape (N, C, H, W) with N >= rows*cols and C >= 1; channel 0 is drawn.
        rows: number of grid rows, a positive int.
        cols: number of grid columns, a positive int.
        plot_border: True draws a frame around each image (ticks are always off); False hides the axes.
        title: figure title (`plt.suptitle`).
        labels: optional sequence of at least rows*cols labels; label i becomes the title of image i.
        save_path: `.png` path the figure is written to atomically (directories are created). None (the
            default): where no window shows the figure, it is saved as `results/<title as a file name>.png`
            (`lib.plotting.figures.default_png_path`; a failure to write it only warns), so that nothing drawn is
            lost on a machine without a display.
        show: None opens a window only where a display exists; True asks for one even without a
            detected display; False never opens one. A window needs an interactive backend.

    Raises:
        ValueError: if `data` is not 4-D with at least one channel, holds fewer than rows*cols images,
            `rows`/`cols` are not positive, `labels` are too few, or `save_path` does not end in `.png`.
        TypeError: if `rows` or `cols` is not an int.
    """
    data = np.asarray(data)
    if data.ndim != 4 or data.shape[1] < 1:
        raise ValueError(f"data must have shape (N, C, H, W) with C >= 1, got shape {data.shape}")
    rows = check_positive_int(rows, "rows")
    cols = check_positive_int(cols, "cols")
    count = rows * cols
    if data.shape[0] < count:
        raise ValueError(f"data must hold at least rows*cols = {count} images, got {data.shape[0]}")
    if labels is not None and len(labels) < count:
        raise ValueError(f"labels must hold at least rows*cols = {count} entries, got {len(labels)}")
    best_effort = save_path is None and not figures.will_show(show)  # headless: keep the figure as a file
    save_path = figures.default_png_path(title) if best_effort else figures.checked_png_path(save_path)

    images = data[:count, 0]  # (rows*cols, H, W)
    vmin, vmax = float(images.min()), float(images.max())
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.6 * rows + 0.6), squeeze=False,
                             constrained_layout=True)
    for i, ax in enumerate(axes.flat):
        ax.imshow(images[i], cmap="gray", vmin=vmin, vmax=vmax)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=10)
        if plot_border:
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            ax.axis("off")
    plt.suptitle(title)
    figures.finish(fig, save_path, show, best_effort=best_effort)
