"""Plot a grid of 20 MNIST training images with their labels (the course's first script).

The grid is saved to results/mnist_samples.png (relative to the working directory). A window opens
only where a display exists, or with --show.
"""
import argparse
from pathlib import Path
from typing import List, Optional

import numpy as np

from lib.cli.errors import run_script
from lib.dataset_mnist import load_mnist_data
from lib.plot_images import plot_data

SAMPLES_PATH = Path("results") / "mnist_samples.png"
ROWS, COLS = 5, 4


def main(argv: Optional[List[str]] = None) -> None:
    """Load MNIST, print the training shape, and plot (and save) the first ROWS*COLS training images.

    Args:
        argv: command-line arguments (default: sys.argv[1:]).
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", action="store_true",
                        help="open a window even where no display is detected (needs an interactive backend)")
    args = parser.parse_args(argv)

    print("Load MNIST data.")
    x_train, x_val, x_test, y_train, y_val, y_test = load_mnist_data()
    print("Plot training data.")
    print(x_train.shape)
    labels = np.argmax(y_train[:ROWS * COLS], axis=1)  # one-hot -> digit
    plot_data(x_train, rows=ROWS, cols=COLS, plot_border=False, title="MNIST Training data",
              labels=labels, save_path=SAMPLES_PATH, show=True if args.show else None)
    print(f"Saved {SAMPLES_PATH}")


if __name__ == '__main__':
    run_script(main, SAMPLES_PATH.parent)
