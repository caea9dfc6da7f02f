"""Student solutions and mistakes for `calculate_conv_output`: the output size `(I + 2P - K) // S + 1` per dimension.

Before the gap `input_shape`, `kernel_size`, `stride` and `padding` are lists of Python ints of the
same length; the gap defines `output`, a list of Python ints, and the code after it returns it.
Written for this catalogue, in the styles students use (zip, index loops, numpy, counting).
"""
GAP = "conv_output"

SOLUTIONS = {
    "zip_comprehension": '''\
output = [(i + 2 * p - k) // s + 1 for i, k, s, p in zip(input_shape, kernel_size, stride, padding)]
''',
    "index_loop_append": '''\
output = []
for d in range(len(input_shape)):
    size = (input_shape[d] + 2 * padding[d] - kernel_size[d]) // stride[d] + 1
    output.append(size)
''',
    "numpy_tolist": '''\
sizes = np.array(input_shape, dtype=int)
kernels = np.array(kernel_size, dtype=int)
strides = np.array(stride, dtype=int)
pads = np.array(padding, dtype=int)
output = ((sizes + 2 * pads - kernels) // strides + 1).tolist()
''',
    "map_lambda": '''\
output = list(map(lambda i, k, s, p: (i - k + 2 * p) // s + 1, input_shape, kernel_size, stride, padding))
''',
    "count_positions": '''\
output = []
for i, k, s, p in zip(input_shape, kernel_size, stride, padding):
    positions = 0
    start = 0
    while start + k <= i + 2 * p:
        positions += 1
        start += s
    output.append(positions)
''',
    "int_of_floor_division": '''\
output = [int((input_shape[d] - kernel_size[d] + 2 * padding[d]) // stride[d]) + 1 for d in range(len(stride))]
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "true_division": ("zip_comprehension", "// s", "/ s",
                      "I divided with / so the sizes come out as floats, 5.5 + 1 where it should be 6"),
    "pads_once": ("zip_comprehension", "i + 2 * p - k", "i + p - k",
                  "I added the padding only once, but it goes on both sides"),
    "no_plus_one": ("zip_comprehension", "// s + 1", "// s",
                    "I forgot the +1 for the first window position"),
    "plus_two": ("index_loop_append", "// stride[d] + 1", "// stride[d] + 2",
                 "I added 2 instead of 1 at the end"),
    "ignores_stride": ("index_loop_append", "// stride[d] + 1", " + 1",
                       "I left out the division by the stride"),
    "ceil": ("numpy_tolist", "((sizes + 2 * pads - kernels) // strides + 1)",
             "(np.ceil((sizes + 2 * pads - kernels) / strides).astype(int) + 1)",
             "I rounded the number of steps up with ceil instead of down"),
    "round": ("map_lambda", "(i - k + 2 * p) // s + 1", "round((i - k + 2 * p) / s) + 1",
              "I rounded the division to the nearest int instead of flooring it"),
    "numpy_ints": ("numpy_tolist", "((sizes + 2 * pads - kernels) // strides + 1).tolist()",
                   "list((sizes + 2 * pads - kernels) // strides + 1)",
                   "I used list() on the numpy array, so the entries are np.int64, not Python ints"),
    "kernel_stride_swapped": ("zip_comprehension", "for i, k, s, p in", "for i, s, k, p in",
                              "I unpacked zip in the wrong order, so kernel and stride are swapped"),
    "kernel_padding_swapped": ("map_lambda", "(i - k + 2 * p)", "(i - p + 2 * k)",
                               "I mixed up kernel and padding in the formula"),
    "drops_last_dimension": ("index_loop_append", "range(len(input_shape))", "range(len(input_shape) - 1)",
                             "my loop stops one dimension early"),
    "returns_tuple": ("zip_comprehension", "output = [(i + 2 * p - k) // s + 1 for i, k, s, p in "
                      "zip(input_shape, kernel_size, stride, padding)]",
                      "output = tuple((i + 2 * p - k) // s + 1 for i, k, s, p in "
                      "zip(input_shape, kernel_size, stride, padding))",
                      "I returned a tuple, but the function should return a list"),
    "counts_one_too_many": ("count_positions", "while start + k <= i + 2 * p:", "while start <= i + 2 * p - 1:",
                            "I counted every start inside the padded input, even where the kernel sticks out"),
}
