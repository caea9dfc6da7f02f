"""Run a Conv2d with three 3x3 filters on a batch of random 5x5 grayscale images and print the shapes."""
import argparse
from typing import List, Optional

import numpy as np

from lib.cli.errors import run_script
from lib.cli.options import seed
from lib.convolutions import Conv2d


def main(argv: Optional[List[str]] = None) -> None:
    """Print the input shape, the layer and the output shape.

    Args:
        argv: command-line arguments (default: sys.argv[1:]); `--seed S` seeds np.random first.
    """
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=seed, default=None, help="seed of np.random (default: unseeded)")
    args = parser.parse_args(argv)
    if args.seed is not None:
        np.random.seed(args.seed)
    x = np.random.rand(10, 1, 5, 5)  # (N, C, H, W)
    model = Conv2d(1, 3, (3, 3))
    print(f"Input shape: {x.shape}")
    print(f"Model: {model}")
    print(f"Output shape: {model(x).shape}")


if __name__ == '__main__':
    run_script(main)
