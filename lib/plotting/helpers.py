"""What the lab's figures share: where a PNG goes by default, image axes without ticks, the diverging colours.

`lib.plotting.lab` (equivariance heatmaps, feature maps) and `lib.plotting.classification` (filters,
confusion matrix, misclassified digits) draw with these, so that their files and colours agree.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from lib import utilities

from lib.plotting import figures
from lib.plotting.figures import PathLike

DIFFERENCE_CMAP = "RdBu_r"  # diverging, for values centred at 0: red > 0 > blue


def png_path(save_path: Optional[PathLike], default_name: str) -> Path:
    """`results/<default_name>` if save_path is None, else save_path (ValueError unless it ends in `.png`)."""
    return utilities.RESULTS_DIR / default_name if save_path is None else figures.checked_png_path(save_path)


def no_ticks(ax) -> None:
    """Hide an image's axis ticks: pixel and cell indices say nothing in these figures."""
    ax.set_xticks([])
    ax.set_yticks([])
