"""Command-line options shared by the experiment scripts, checked before any work starts.

The root scripts stay thin: they build their parser here, so a bad value (a size that is not a
multiple of the batch size, a seed numpy refuses, an output path in a missing directory) is
reported by argparse at once instead of as a traceback after minutes of training.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import numpy as np

from lib.dataset_mnist import NUM_TRAIN
from lib.model_training import BATCH_SIZE

DTYPES = {"float64": np.float64, "float32": np.float32}  # the --dtype choices


def max_datapoints(batch_size: int = BATCH_SIZE) -> Callable[[str], int]:
    """The argparse type of --max_datapoints: a multiple of `batch_size` between batch_size and 50000.

    `train` needs whole batches, so a size that is not a multiple is refused before any work starts.
    """
    def parse(text: str) -> int:
        value = _int(text, "--max_datapoints")
        if not batch_size <= value <= NUM_TRAIN or value % batch_size:
            raise argparse.ArgumentTypeError(
                f"--max_datapoints must be a multiple of the batch size {batch_size} between {batch_size} and "
                f"{NUM_TRAIN}, got {value}")
        return value
    return parse


def epochs(text: str) -> int:
    """argparse type of --epochs: a positive integer."""
    value = _int(text, "--epochs")
    if value < 1:
        raise argparse.ArgumentTypeError(f"--epochs must be at least 1, got {value}")
    return value


def seed(text: str) -> int:
    """argparse type of --seed: an int that numpy's global generator accepts, 0 <= seed < 2**32."""
    value = _int(text, "--seed")
    if not 0 <= value < 2 ** 32:
        raise argparse.ArgumentTypeError(f"--seed must be between 0 and 2**32 - 1, got {value}")
    return value


def output_file(text: str) -> Path:
    """argparse type of an output file: not a directory, in a directory that exists."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory; give a file name such as {path / 'out.json'}")
    if not path.resolve().parent.is_dir():
        raise argparse.ArgumentTypeError(f"the directory of {text} does not exist")
    return path


def experiment_argument_parser(description: str, show_help: str) -> argparse.ArgumentParser:
    """The command-line options both experiment scripts share.

    Args:
        description: the script's docstring, shown by --help.
        show_help: help text of --show (what the window shows).

    Returns:
        A parser with --max_datapoints (the course's option), --seed, --dtype and --show.
    """
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max_datapoints", type=max_datapoints(), default=10000,
                        help="Maximum number of datapoints. Default 10000, can be up to 50000.")
    add_seed_and_dtype(parser, "float64")
    parser.add_argument("--show", action="store_true", help=show_help)
    return parser


def add_seed_and_dtype(parser: argparse.ArgumentParser, default_dtype: str) -> None:
    """Add --seed (default 0) and --dtype (a key of DTYPES, default `default_dtype`) to `parser`."""
    parser.add_argument("--seed", type=seed, default=0, help="Seed of numpy's global random stream. Default 0.")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default=default_dtype,
                        help=f"Floating-point type of parameters and data. Default {default_dtype}.")


def _int(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{option} must be an integer, got {text!r}") from None
