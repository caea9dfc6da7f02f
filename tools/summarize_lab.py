"""Print the equivariance lab's summary from a written `equivariance.csv`, without running the lab again.

Per model and layer: for how many of the shifts the layer's maps move exactly with the input, and the
median relative error at the other shifts (`lib.studies.equivariance_lab.summarize_equivariance`, which the lab
also prints when it runs).

Usage: python tools/summarize_lab.py [results/equivariance.csv]
"""
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: make `lib` importable

from lib.studies.equivariance_lab import summarize_equivariance  # noqa: E402


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results") / "equivariance.csv"
    with open(path, newline="") as f:
        print(summarize_equivariance(list(csv.DictReader(f))))


if __name__ == "__main__":
    main()
