"""Print the equivariance lab's summary from a written `equivariance.csv`, without running the lab again.

Per model and layer: for how many of the shifts the layer's maps move exactly with the input, and the
median relative error at the other shifts (`lib.studies.equivariance_lab.summarize_equivariance`, which the lab
also prints when it runs).

Usage: python -m tools.summarize_lab [results/equivariance.csv]
"""
import sys
from pathlib import Path

from lib.studies.equivariance_lab import EQUIVARIANCE_CSV, read_equivariance_csv, summarize_equivariance
from lib.utilities import RESULTS_DIR


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_DIR / EQUIVARIANCE_CSV
    print(summarize_equivariance(read_equivariance_csv(path)))


if __name__ == "__main__":
    main()
