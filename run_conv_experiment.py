"""Train the course's CNN on MNIST (10 epochs, batch 50, SGD lr 0.01, momentum 0.9) and save it.

Writes the trained parameters to results/conv_model.npz (no pickle) and the learning curves to
results/conv_learning_curves.png.
"""
import argparse

import numpy as np

from lib.experiments import CURVES_FILE, RESULTS_DIR, RESULTS_FILE, run_conv_experiment

DTYPES = {"float64": np.float64, "float32": np.float32}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max_datapoints", type=int, default=10000,
                        help="Maximum number of datapoints. Default 10000, can be up to 50000.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of numpy's global random stream. Default 0.")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float64",
                        help="Floating-point type of parameters and data. Default float64.")
    parser.add_argument("--show", action="store_true", help="Also show the learning curves in a window.")
    args = parser.parse_args()

    curves_path = RESULTS_DIR / CURVES_FILE
    run_conv_experiment(args.max_datapoints, seed=args.seed, dtype=DTYPES[args.dtype], curves_path=curves_path,
                        show=args.show or None)
    print(f"Saved the model to {RESULTS_DIR / RESULTS_FILE} and the learning curves to {curves_path}")


if __name__ == '__main__':
    main()
