"""Student solutions and mistakes for `create_conv_model()`: the course's CNN.

Before the gap `kernel_size = (4, 4)`, `stride = (2, 2)`, `padding = (1, 1)`, `n_filters_conv1 = 5`
and `n_filters_conv2 = 10` are set, and the module has Sequential, Conv2d, ReLU, Flatten and Linear;
the gap defines `model` = `Sequential(Conv2d(1, 5, k, s, p), ReLU(), Conv2d(5, 10, k, s, p), ReLU(),
Flatten(), Linear(490, 10))` (28 -> 14 -> 7, 10 * 7 * 7 = 490), and the code after it returns it.
Written for this catalogue, in the styles students use (positional or keyword arguments, a list of
layers, the linear size computed or written as a number).
"""
GAP = "conv_model"

SOLUTIONS = {
    "positional": '''\
model = Sequential(
    Conv2d(1, n_filters_conv1, kernel_size, stride, padding),
    ReLU(),
    Conv2d(n_filters_conv1, n_filters_conv2, kernel_size, stride, padding),
    ReLU(),
    Flatten(),
    Linear(n_filters_conv2 * 7 * 7, 10),
)
''',
    "keywords": '''\
conv1 = Conv2d(in_channels=1, out_channels=n_filters_conv1, kernel_size=kernel_size, stride=stride,
               padding=padding)
conv2 = Conv2d(in_channels=n_filters_conv1, out_channels=n_filters_conv2, kernel_size=kernel_size,
               stride=stride, padding=padding)
model = Sequential(conv1, ReLU(), conv2, ReLU(), Flatten(), Linear(in_features=490, out_features=10))
''',
    "layer_list": '''\
layers = []
layers.append(Conv2d(1, n_filters_conv1, kernel_size, stride, padding))
layers.append(ReLU())
layers.append(Conv2d(n_filters_conv1, n_filters_conv2, kernel_size, stride, padding))
layers.append(ReLU())
layers.append(Flatten())
layers.append(Linear(490, 10))
model = Sequential(*layers)
''',
    "computed_size": '''\
height = width = 28
for _ in range(2):
    height = (height + 2 * padding[0] - kernel_size[0]) // stride[0] + 1
    width = (width + 2 * padding[1] - kernel_size[1]) // stride[1] + 1
model = Sequential(Conv2d(1, n_filters_conv1, kernel_size, stride, padding), ReLU(),
                   Conv2d(n_filters_conv1, n_filters_conv2, kernel_size, stride, padding), ReLU(),
                   Flatten(), Linear(n_filters_conv2 * height * width, 10))
''',
    "literal_numbers": '''\
model = Sequential(Conv2d(1, 5, (4, 4), (2, 2), (1, 1)), ReLU(), Conv2d(5, 10, (4, 4), (2, 2), (1, 1)), ReLU(),
                   Flatten(), Linear(490, 10))
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "linear_size_after_first_conv": ("positional", "Linear(n_filters_conv2 * 7 * 7, 10)",
                                     "Linear(n_filters_conv2 * 14 * 14, 10)",
                                     "I used the 14 x 14 size after the first convolution for the linear layer"),
    "linear_size_wrong_channels": ("layer_list", "Linear(490, 10)", "Linear(5 * 7 * 7, 10)",
                                   "I multiplied 7 x 7 by the filters of the first convolution"),
    "linear_size_unstrided": ("literal_numbers", "Linear(490, 10)", "Linear(10 * 28 * 28, 10)",
                              "I thought the convolutions keep the 28 x 28 size"),
    "stride_padding_swapped": ("positional", "Conv2d(1, n_filters_conv1, kernel_size, stride, padding)",
                               "Conv2d(1, n_filters_conv1, kernel_size, padding, stride)",
                               "I passed padding and stride in the wrong order to the first convolution"),
    "second_conv_one_channel": ("layer_list", "Conv2d(n_filters_conv1, n_filters_conv2,",
                                "Conv2d(1, n_filters_conv2,",
                                "I gave the second convolution 1 input channel, as the first"),
    "first_relu_missing": ("literal_numbers", "Conv2d(1, 5, (4, 4), (2, 2), (1, 1)), ReLU(), ",
                           "Conv2d(1, 5, (4, 4), (2, 2), (1, 1)), ",
                           "I forgot the ReLU after the first convolution"),
    "second_relu_missing": ("keywords", "conv2, ReLU(), Flatten()", "conv2, Flatten()",
                            "I forgot the ReLU after the second convolution"),
    "flatten_missing": ("layer_list", "layers.append(Flatten())\n", "",
                        "I forgot the Flatten layer before the linear layer"),
    "relu_after_linear": ("layer_list",
                          "layers.append(ReLU())\nlayers.append(Flatten())\nlayers.append(Linear(490, 10))",
                          "layers.append(Flatten())\nlayers.append(Linear(490, 10))\nlayers.append(ReLU())",
                          "I put the second ReLU after the linear layer instead of after the convolution"),
    "layers_as_list": ("layer_list", "model = Sequential(*layers)", "model = Sequential(layers)",
                       "I gave Sequential the list itself instead of unpacking it"),
    "same_filters_twice": ("keywords", "out_channels=n_filters_conv2", "out_channels=n_filters_conv1",
                           "I gave the second convolution 5 filters too"),
    "kernel_as_stride": ("computed_size", "Conv2d(n_filters_conv1, n_filters_conv2, kernel_size, stride, padding)",
                         "Conv2d(n_filters_conv1, n_filters_conv2, kernel_size, kernel_size, padding)",
                         "I copied kernel_size twice into the second convolution"),
    "named_conv_model": ("positional", "model = Sequential(", "conv_model = Sequential(",
                         "I called it conv_model as in the old template, but the function returns model"),
}
