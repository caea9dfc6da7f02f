"""Specification of the experiment scripts' shared command line: bad values stop before any work."""
import subprocess
import sys
from pathlib import Path

import pytest

from lib.cli.options import experiment_argument_parser

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
