"""Specification of the experiment scripts' shared command line: bad values stop before any work."""
import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from lib.cli.options import epochs, experiment_argument_parser, max_datapoints

REPO_ROOT = Path(__file__).resolve().parent.parent


def parse(*args):
    return experiment_argument_parser("doc", "show it").parse_args(list(args))


def test_defaults_are_the_courses():
    args = parse()
    assert (args.max_datapoints, args.seed, args.dtype, args.show) == (10000, 0, "float64", False)


@pytest.mark.parametrize("value", ["0", "-50", "30", "1001", "50050", "ten"])
def test_max_datapoints_must_be_a_multiple_of_the_batch_size_up_to_50000(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse("--max_datapoints", value)
    assert exit_info.value.code == 2
    assert "--max_datapoints must be" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["-1", str(2 ** 32), "x"])
def test_seed_must_be_accepted_by_numpy(value, capsys):
    with pytest.raises(SystemExit):
        parse("--seed", value)
    assert "--seed must be" in capsys.readouterr().err


def test_json_output_in_a_missing_directory_or_a_directory_is_refused_before_training(tmp_path):
    for target, message in ((tmp_path, "is a directory"), (tmp_path / "missing" / "a.json", "does not exist")):
        result = subprocess.run([sys.executable, "run_shifted_conv_experiment.py", "--json", str(target)],
                                cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert message in result.stderr and "Training set size" not in result.stdout


def test_the_datapoints_type_follows_the_batch_size_it_is_made_for():
    parse_125 = max_datapoints(125)
    assert parse_125("250") == 250
    message = "--max_datapoints must be a multiple of the batch size 125 between 125 and 50000, got 300"
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse_125("300")
    assert max_datapoints()("300") == 300  # the course's batch of 50


@pytest.mark.parametrize("text, message", [("0", "--epochs must be at least 1, got 0"),
                                           ("1.5", "--epochs must be an integer, got '1.5'")])
def test_epochs_must_be_a_positive_integer(text, message):
    assert epochs("3") == 3
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        epochs(text)
