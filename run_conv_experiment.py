"""Train the course's CNN on MNIST (10 epochs, batch 50, SGD lr 0.01, momentum 0.9) and save it.

Writes the trained parameters to results/conv_model.npz (no pickle) and the learning curves to
results/conv_learning_curves.png.
"""
from lib.cli.errors import run_script
from lib.cli.options import DTYPES, experiment_argument_parser
from lib.experiments import CURVES_FILE, RESULTS_DIR, RESULTS_FILE, run_conv_experiment


def main():
    parser = experiment_argument_parser(__doc__, show_help="Also show the learning curves in a window.")
    args = parser.parse_args()

    run_conv_experiment(args.max_datapoints, seed=args.seed, dtype=DTYPES[args.dtype], plot_curves=True,
                        show=args.show or None)
    print(f"Saved the model to {RESULTS_DIR / RESULTS_FILE} and the learning curves to {RESULTS_DIR / CURVES_FILE}")


if __name__ == '__main__':
    run_script(main, RESULTS_DIR)
