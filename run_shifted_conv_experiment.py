"""Compare the course's MLP and CNN on MNIST validation images shifted 2 pixels right and down.

Needs the CNN saved by run_conv_experiment.py (or --train-cnn to train it here). Writes
results/validation_and_shifted_validation_data.png. With --study it also runs the shift study (four
models, shifts of 0-6 pixels and four directions) and writes results/shift_study.csv and
results/shift_study.png.
"""
import sys

from lib.cli import DTYPES, experiment_argument_parser, output_file
from lib.experiments import (MISSING_MODEL_MESSAGE, RESULTS_DIR, SHIFTED_SAMPLES_FILE, MissingModelError,
                             load_mnist_data_subset, run_shifted_conv_experiment)
from lib.shift_study import CSV_FILE, PLOT_FILE, run_shift_study


def main():
    parser = experiment_argument_parser(__doc__, show_help="Also show the study's figure in a window.")
    parser.add_argument("--train-cnn", action="store_true",
                        help="Train (and save) the CNN now instead of loading the one run_conv_experiment.py saved.")
    parser.add_argument("--study", action="store_true",
                        help="Afterwards run the shift study (trains four models; several minutes).")
    parser.add_argument("--json", type=output_file, default=None,
                        help="Also write the four accuracies (and this command) to this JSON file.")
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]

    command = "python run_shifted_conv_experiment.py " + " ".join(sys.argv[1:])
    try:
        run_shifted_conv_experiment(args.max_datapoints, seed=args.seed, dtype=dtype, train_cnn=args.train_cnn,
                                    json_path=args.json, command=command)
    except MissingModelError as error:
        sys.exit(f"Error: no trained CNN at {error.path}. {MISSING_MODEL_MESSAGE}\n"
                 "Run `python run_conv_experiment.py` first, or add --train-cnn to train it here.")
    print(f"Saved the samples to {RESULTS_DIR / SHIFTED_SAMPLES_FILE}")
    if args.json is not None:
        print(f"Saved the accuracies to {args.json}")
    if args.study:
        x_train, x_val, _, y_train, y_val, _ = load_mnist_data_subset(args.max_datapoints)
        run_shift_study((x_train, y_train, x_val, y_val), seed=args.seed, dtype=dtype, show=args.show or None)
        print(f"Saved the study to {RESULTS_DIR / CSV_FILE} and {RESULTS_DIR / PLOT_FILE}")


if __name__ == '__main__':
    main()
