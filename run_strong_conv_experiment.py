"""Train a stronger CNN on the whole MNIST training set (50,000 images) to about 99% validation accuracy.

Three blocks of 3x3 convolution, 2x2 max-pooling, batch normalisation and ReLU, then a linear layer;
Adam with a learning rate held for the first epoch and decayed linearly to zero over the second;
batch 125, float32 (the recipe and its reasons: lib/studies/strong_cnn.py). Prints the course's lines
for every epoch and the test accuracy at the end; saves the model (parameters and batch-norm running
statistics) to results/strong_cnn.npz and the learning curves to results/strong_learning_curves.png
and .npz. Freed memory is kept for reuse (`lib/cli/allocator.py`), which spares a page fault per 4 KiB
of the arrays every training step allocates anew.
"""
from lib.cli.allocator import keep_freed_memory
from lib.cli.errors import run_script
from lib.cli.options import DTYPES
from lib.studies.strong_cnn import run_strong_conv_experiment, strong_argument_parser
from lib.utilities import RESULTS_DIR


def main():
    args = strong_argument_parser(__doc__).parse_args()
    keep_freed_memory()
    run = run_strong_conv_experiment(seed=args.seed, dtype=DTYPES[args.dtype], num_epochs=args.epochs,
                                     max_datapoints=args.max_datapoints, show=args.show or None)
    print(f"Saved the model to {run.model_path} and the learning curves to {run.curves_path} and .png")


if __name__ == '__main__':
    run_script(main, RESULTS_DIR)
