"""Print the output size of a 2-D convolution for the course's example (7x7 input, 3x3 kernel, padding 2)."""
import argparse

from lib.cli.errors import run_script
from lib.convolutions import calculate_conv_output


def main() -> None:
    """Print the input, kernel, stride and padding, then the output shape from `calculate_conv_output`."""
    input_shape = [7, 7]
    kernel_size = [3, 3]
    stride = [1, 1]
    padding = [2, 2]
    print(f"Input shape: {input_shape}")
    print(f"Kernel size: {kernel_size}")
    print(f"Stride: {stride}")
    print(f"Padding: {padding}")
    print("\nCalculating output size.")
    print(f"Output shape: {calculate_conv_output(input_shape, kernel_size, stride, padding)}")


if __name__ == '__main__':
    argparse.ArgumentParser(description=__doc__).parse_args()  # --help; rejects unknown options
    run_script(main)
