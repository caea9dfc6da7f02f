"""Student solutions and mistakes for the MLP part of `run_shifted_conv_experiment`.

Before the gap: `loss_fn = CrossEntropyLoss()`, the six arrays of `load_mnist_data_subset`
(`x_train`, `x_val`, ... with (N, 1, 28, 28) images), `shift = 2`, `x_val_shifted`, the plot, and
`num_epochs = 10`, `batch_size = 50`, `learning_rate = 0.05`, `momentum = 0.9`, `linear_units = 30`;
the module has Sequential, Linear, ReLU, SGD, train, evaluate and np. The gap builds `mlp_model`
(`Linear(784, linear_units)`, ReLU, `Linear(linear_units, 10)`), the (N, 784) rows `x_train_mlp`,
`x_val_mlp` and `x_val_shifted_mlp`, an `SGD(mlp_model.parameters(), lr=learning_rate,
momentum=momentum)` optimizer, and trains with `train` on the unshifted training data, validating on
the unshifted validation data. After the gap the CNN is loaded and the four accuracies printed with
`evaluate(x_val_mlp, ...)` and `evaluate(x_val_shifted_mlp, ...)`. Written for this catalogue, in
the styles students use (positional or keyword arguments, reshape(-1, 784) or reshape(len(x), -1),
a list of layers, a generator for the three reshapes).
"""
GAP = "shifted_mlp"

SOLUTIONS = {
    "positional": '''\
mlp_model = Sequential(Linear(784, linear_units), ReLU(), Linear(linear_units, 10))
x_train_mlp = x_train.reshape(-1, 784)
x_val_mlp = x_val.reshape(-1, 784)
x_val_shifted_mlp = x_val_shifted.reshape(-1, 784)
optimizer = SGD(mlp_model.parameters(), lr=learning_rate, momentum=momentum)
train(mlp_model, loss_fn, optimizer, x_train_mlp, y_train, x_val_mlp, y_val, num_epochs, batch_size)
''',
    "keywords": '''\
mlp_model = Sequential(Linear(28 * 28, linear_units), ReLU(), Linear(linear_units, 10))
x_train_mlp = x_train.reshape(len(x_train), -1)
x_val_mlp = x_val.reshape(len(x_val), -1)
x_val_shifted_mlp = x_val_shifted.reshape(len(x_val_shifted), -1)
optimizer = SGD(params=mlp_model.parameters(), lr=learning_rate, momentum=momentum)
train(model=mlp_model, loss_fn=loss_fn, optimizer=optimizer, x_train=x_train_mlp, y_train=y_train,
      x_val=x_val_mlp, y_val=y_val, num_epochs=num_epochs, batch_size=batch_size)
''',
    "layer_list_shape": '''\
layers = [Linear(784, linear_units), ReLU(), Linear(linear_units, 10)]
mlp_model = Sequential(*layers)
x_train_mlp = np.reshape(x_train, (x_train.shape[0], 28 * 28))
x_val_mlp = np.reshape(x_val, (x_val.shape[0], 28 * 28))
x_val_shifted_mlp = np.reshape(x_val_shifted, (x_val_shifted.shape[0], 28 * 28))
optimizer = SGD(mlp_model.parameters(), learning_rate, momentum)
results = train(mlp_model, loss_fn, optimizer, x_train_mlp, y_train, x_val_mlp, y_val,
                num_epochs=num_epochs, batch_size=batch_size)
''',
    "generator_reshape": '''\
x_train_mlp, x_val_mlp, x_val_shifted_mlp = (x.reshape(x.shape[0], -1) for x in (x_train, x_val, x_val_shifted))
mlp_model = Sequential(
    Linear(x_train_mlp.shape[1], linear_units),
    ReLU(),
    Linear(linear_units, 10),
)
optimizer = SGD(mlp_model.parameters(), lr=learning_rate, momentum=momentum)
train_costs, train_accuracies, eval_costs, eval_accuracies = train(
    mlp_model, loss_fn, optimizer, x_train_mlp, y_train, x_val_mlp, y_val, num_epochs, batch_size)
''',
    "flatten_copies": '''\
x_train_mlp = x_train.reshape(x_train.shape[0], -1).copy()
x_val_mlp = np.array([image.flatten() for image in x_val])
x_val_shifted_mlp = np.array([image.flatten() for image in x_val_shifted])
hidden = Linear(784, linear_units)
output = Linear(linear_units, 10)
mlp_model = Sequential(hidden, ReLU(), output)
train(mlp_model, loss_fn, SGD(mlp_model.parameters(), lr=learning_rate, momentum=momentum),
      x_train_mlp, y_train, x_val_mlp, y_val, num_epochs, batch_size)
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "trained_on_shifted": ("positional", "x_train_mlp = x_train.reshape(-1, 784)",
                           "x_train_mlp = shift_data(x_train, shift).reshape(-1, 784)",
                           "I trained the MLP on shifted training images"),
    "validated_on_shifted": ("positional", "x_train_mlp, y_train, x_val_mlp, y_val,",
                             "x_train_mlp, y_train, x_val_shifted_mlp, y_val,",
                             "I validated the MLP during training on the shifted images"),
    "shifted_from_unshifted": ("positional", "x_val_shifted_mlp = x_val_shifted.reshape(-1, 784)",
                               "x_val_shifted_mlp = x_val.reshape(-1, 784)",
                               "I built x_val_shifted_mlp from x_val, copying the line above"),
    "lr_momentum_swapped": ("positional", "lr=learning_rate, momentum=momentum", "lr=momentum, momentum=learning_rate",
                            "I swapped the learning rate and the momentum"),
    "positional_lr_momentum_swapped": ("layer_list_shape", "SGD(mlp_model.parameters(), learning_rate, momentum)",
                                       "SGD(mlp_model.parameters(), momentum, learning_rate)",
                                       "I passed momentum and learning rate in the wrong order"),
    "no_momentum": ("keywords", "lr=learning_rate, momentum=momentum)", "lr=learning_rate)",
                    "I forgot the momentum"),
    "epochs_batch_swapped": ("generator_reshape", "y_val, num_epochs, batch_size)", "y_val, batch_size, num_epochs)",
                             "I passed batch_size and num_epochs in the wrong order"),
    "literal_epochs": ("keywords", "num_epochs=num_epochs", "num_epochs=5",
                       "I trained for 5 epochs while testing and left it"),
    "literal_batch_size": ("layer_list_shape", "batch_size=batch_size", "batch_size=100",
                           "I wrote a batch size of 100 instead of using batch_size"),
    "hard_coded_units": ("positional", "Linear(784, linear_units), ReLU(), Linear(linear_units, 10)",
                         "Linear(784, 100), ReLU(), Linear(100, 10)",
                         "I used 100 hidden units and ignored linear_units"),
    "relu_missing": ("layer_list_shape", "[Linear(784, linear_units), ReLU(), Linear(linear_units, 10)]",
                     "[Linear(784, linear_units), Linear(linear_units, 10)]",
                     "I forgot the ReLU between the two linear layers"),
    "relu_at_the_end": ("generator_reshape", "    ReLU(),\n    Linear(linear_units, 10),\n",
                        "    Linear(linear_units, 10),\n    ReLU(),\n",
                        "I put the ReLU after the last linear layer instead of between the two"),
    "trains_on_validation": ("keywords", "x_train=x_train_mlp, y_train=y_train", "x_train=x_val_mlp, y_train=y_val",
                             "I trained on the validation images"),
    "wrong_labels": ("flatten_copies", "x_train_mlp, y_train, x_val_mlp, y_val,",
                     "x_train_mlp, y_val, x_val_mlp, y_train,",
                     "I swapped the training and the validation labels"),
    "model_rebuilt_after_optimizer": ("positional",
                                      "optimizer = SGD(mlp_model.parameters(), lr=learning_rate, momentum=momentum)\n",
                                      "optimizer = SGD(mlp_model.parameters(), lr=learning_rate, momentum=momentum)\n"
                                      "mlp_model = Sequential(Linear(784, linear_units), ReLU(), "
                                      "Linear(linear_units, 10))\n",
                                      "I built the model again after making the optimizer, so the optimizer steps "
                                      "the old model and the trained one never changes"),
    "optimizer_of_other_layers": ("flatten_copies", "SGD(mlp_model.parameters(),", "SGD(hidden.parameters(),",
                                  "my optimizer gets only the first layer's parameters"),
    "images_as_columns": ("layer_list_shape", "np.reshape(x_train, (x_train.shape[0], 28 * 28))",
                          "np.reshape(x_train, (28 * 28, x_train.shape[0]))",
                          "I reshaped the training images to (784, N) instead of (N, 784)"),
    "hidden_layer_10_outputs": ("generator_reshape", "Linear(x_train_mlp.shape[1], linear_units),",
                                "Linear(x_train_mlp.shape[1], 10),",
                                "I gave the first layer 10 outputs, so it does not fit the second"),
}
