"""Compare the course's MLP and CNN on MNIST validation images shifted 2 pixels right and down.

Needs the CNN saved by run_conv_experiment.py (or --train-cnn to train it here). Writes
results/validation_and_shifted_validation_data.png.
"""
import sys

from lib.cli.errors import run_script
from lib.cli.options import DTYPES, experiment_argument_parser, output_file
from lib.experiments import (MISSING_MODEL_MESSAGE, RESULTS_DIR, SHIFTED_SAMPLES_FILE, MissingModelError,
                             run_shifted_conv_experiment)
# BEGIN REFERENCE ONLY ################
from lib.studies.equivariance_lab import run_equivariance_lab
from lib.studies.shift_study import CSV_FILE, PLOT_FILE, report_shift_study, with_course_models

__doc__ += """
--study trains the shift study's other models (a CNN with global average pooling, max- and blur-pooling
CNNs, an MLP on re-centred digits, the MLP and the CNN trained with shifted copies; its MLP and CNN are
the two just compared) and writes their accuracy on shifted digits to
results/shift_study.csv and results/shift_study.png.
--equivariance (the equivariance lab) measures, for the course CNN and the study's models, how far every
layer's maps are from moving with the input (results/equivariance.csv and .png) and how often the
prediction survives two random shifts (results/consistency.csv), and draws the course CNN's feature
maps, filters, confusion matrix and misclassified digits (results/*.png).
"""
# END REFERENCE ONLY ################


def main():
    parser = experiment_argument_parser(__doc__, show_help="Also show the figures in windows.")
    parser.add_argument("--train-cnn", action="store_true",
                        help="Train (and save) the CNN now instead of loading the one run_conv_experiment.py saved.")
    parser.add_argument("--json", type=output_file, default=None,
                        help="Also write the four accuracies (and this command) to this JSON file.")
    # BEGIN REFERENCE ONLY ################
    parser.add_argument("--study", action="store_true",
                        help="Afterwards run the shift study (trains nine models; several minutes).")
    parser.add_argument("--equivariance", action="store_true",
                        help="Afterwards run the equivariance lab on the course CNN and the study's models.")
    # END REFERENCE ONLY ################
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]
    goes_on = False  # whether the models compared here are studied further
    # BEGIN REFERENCE ONLY ################
    goes_on = args.study or args.equivariance
    # END REFERENCE ONLY ################

    command = "python run_shifted_conv_experiment.py " + " ".join(sys.argv[1:])
    try:
        comparison = run_shifted_conv_experiment(args.max_datapoints, seed=args.seed, dtype=dtype,
                                                 train_cnn=args.train_cnn, json_path=args.json, command=command,
                                                 return_comparison=goes_on)
    except MissingModelError as error:
        sys.exit(f"Error: no trained CNN at {error.path}. {MISSING_MODEL_MESSAGE} Run `python run_conv_experiment.py` "
                 "first, or add --train-cnn to train it here.")
    print(f"Saved the samples to {RESULTS_DIR / SHIFTED_SAMPLES_FILE}")
    if args.json is not None:
        print(f"Saved the accuracies to {args.json}")
    # BEGIN REFERENCE ONLY ################
    if not goes_on:
        return
    show = args.show or None
    # The study's "MLP" and "CNN" are the course's two models just compared (the same recipe), not second copies.
    models = with_course_models(comparison.mlp, comparison.cnn, comparison.data, seed=args.seed, dtype=dtype)
    x_val, y_val = comparison.data[2:]
    if args.study:
        report_shift_study(models, x_val, y_val, show=show)
        print(f"Saved the study to {RESULTS_DIR / CSV_FILE} and {RESULTS_DIR / PLOT_FILE}")
    if args.equivariance:
        run_equivariance_lab(dict(CNN=models.pop("CNN"), **models), x_val, y_val, seed=args.seed, show=show)
        print(f"Saved the lab's CSVs and figures under {RESULTS_DIR}")
    # END REFERENCE ONLY ################


if __name__ == '__main__':
    run_script(main, RESULTS_DIR)
