"""Student solutions and mistakes for `dot_product_single_filter_with_batches(X, F, index)`: one filter, every image.

X is (B, C, H, W), F is (C, KH, KW) and `index` = (i, j) puts the window inside X (checked before
the gap); before the gap the template sets `result = np.zeros((len(X)))`, and the gap fills it or
assigns a new (B,) array: entry b is the sum of `X[b, :, i:i+KH, j:j+KW] * F`. The code after it
returns `result`. Written for this catalogue, in the styles students use (a loop over the batch,
broadcasting with sum, np.tensordot, np.einsum, a matrix-vector product, a list comprehension).
"""
GAP = "single_filter_batch"

SOLUTIONS = {
    "batch_loop": '''\
i, j = index
kh, kw = F.shape[1], F.shape[2]
for b in range(len(X)):
    result[b] = np.sum(X[b, :, i:i + kh, j:j + kw] * F)
''',
    "broadcast_sum": '''\
i, j = index
kh, kw = F.shape[1:]
result = np.sum(X[:, :, i:i + kh, j:j + kw] * F, axis=(1, 2, 3))
''',
    "tensordot": '''\
i, j = index
patches = X[:, :, i:i + F.shape[1], j:j + F.shape[2]]
result = np.tensordot(patches, F, axes=3)
''',
    "einsum": '''\
i, j = index
_, kh, kw = F.shape
result = np.einsum("bchw,chw->b", X[:, :, i:i + kh, j:j + kw], F)
''',
    "matrix_vector": '''\
i, j = index
patches = X[:, :, i:i + F.shape[1], j:j + F.shape[2]]
result = patches.reshape(len(X), F.size) @ F.reshape(F.size)
''',
    "list_comprehension": '''\
i, j = index
kh, kw = F.shape[-2:]
result = np.array([np.sum(image[:, i:i + kh, j:j + kw] * F) for image in X])
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "sums_batch_too": ("broadcast_sum", "* F, axis=(1, 2, 3))", "* F)",
                       "I summed over everything, the batch included, and got one number"),
    "forgets_width_axis": ("broadcast_sum", "axis=(1, 2, 3)", "axis=(1, 2)",
                           "I summed over channels and rows but forgot the columns"),
    "sums_batch_not_channels": ("broadcast_sum", "axis=(1, 2, 3)", "axis=(0, 2, 3)",
                                "I summed over axis 0 thinking it is the channels, but it is the batch"),
    "first_image_only": ("batch_loop", "np.sum(X[b, :,", "np.sum(X[0, :,",
                         "I indexed the first image instead of image b"),
    "loop_one_short": ("batch_loop", "range(len(X))", "range(len(X) - 1)",
                       "my loop over the batch stops one image early"),
    "index_swapped": ("tensordot", "i, j = index", "j, i = index",
                      "I took the index as (column, row)"),
    "tensordot_two_axes": ("tensordot", "axes=3", "axes=2",
                           "I gave tensordot two axes, but channels, height and width are three"),
    "no_channel_sum": ("einsum", '"bchw,chw->b"', '"bchw,chw->bc"',
                       "my einsum keeps the channel axis"),
    "ignores_index": ("list_comprehension", "image[:, i:i + kh, j:j + kw]", "image[:, :kh, :kw]",
                      "I always took the top-left window and ignored the index"),
    "filter_shape_as_4d": ("matrix_vector", "X[:, :, i:i + F.shape[1], j:j + F.shape[2]]",
                           "X[:, :, i:i + F.shape[2], j:j + F.shape[3]]",
                           "I read the kernel size from F.shape[2] and F.shape[3] as for a batch of filters"),
    "flattens_batch_with_filter": ("matrix_vector", "patches.reshape(len(X), F.size)",
                                   "patches.reshape(F.size, len(X)).T",
                                   "I reshaped the patches into the wrong order, with the batch last"),
}
