"""Run a Conv2d with three 3x3 filters on a batch of random 5x5 grayscale images and print the shapes."""
import numpy as np

from lib.convolutions import Conv2d


def main() -> None:
    """Print the input shape, the layer and the output shape."""
    x = np.random.rand(10, 1, 5, 5)  # (N, C, H, W)
    model = Conv2d(1, 3, (3, 3))
    print(f"Input shape: {x.shape}")
    print(f"Model: {model}")
    print(f"Output shape: {model(x).shape}")


if __name__ == '__main__':
    main()
