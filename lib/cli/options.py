"""Command-line options shared by the experiment scripts, checked before any work starts.

The root scripts stay thin: they build their parser here, so a bad value (a size that is not a
multiple of the batch size, a seed numpy refuses, an output path in a missing directory) is
reported by argparse at once instead of as a traceback after minutes of training.
"""
import argparse
from pathlib import Path

import numpy as np

from lib.model_training import BATCH_SIZE

DTYPES = {"float64": np.float64, "float32": np.float32}  # the --dtype choices
MAX_DATAPOINTS = 50000  # the size of the course's training split


def max_datapoints(text: str) -> int:
    """argparse type of --max_datapoints: a multiple of the batch size between BATCH_SIZE and 50000."""
    value = _int(text, "--max_datapoints")
    if not BATCH_SIZE <= value <= MAX_DATAPOINTS or value % BATCH_SIZE:
        raise argparse.ArgumentTypeError(
            f"--max_datapoints must be a multiple of the batch size {BATCH_SIZE} between {BATCH_SIZE} and "
            f"{MAX_DATAPOINTS}, got {value}")
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
    parser.add_argument("--max_datapoints", type=max_datapoints, default=10000,
                        help="Maximum number of datapoints. Default 10000, can be up to 50000.")
    parser.add_argument("--seed", type=seed, default=0, help="Seed of numpy's global random stream. Default 0.")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float64",
                        help="Floating-point type of parameters and data. Default float64.")
    parser.add_argument("--show", action="store_true", help=show_help)
    return parser


def _int(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{option} must be an integer, got {text!r}") from None
