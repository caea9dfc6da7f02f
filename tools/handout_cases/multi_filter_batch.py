"""Student solutions and mistakes for `dot_product_multiple_filters_with_batches(X, filters, index)`.

X is (B, C, H, W), `filters` is (K, C, KH, KW) and `index` = (i, j) puts the window inside X
(checked before the gap); the gap defines `result` (B, K), entry [b, k] the sum of
`X[b, :, i:i+KH, j:j+KW] * filters[k]`, and the code after it returns it. Written for this
catalogue, in the styles students use (a loop over the filters, broadcasting with new axes,
np.tensordot, np.einsum, a matrix product, nested comprehensions).
"""
GAP = "multi_filter_batch"

SOLUTIONS = {
    "filter_loop": '''\
i, j = index
kh, kw = filters.shape[2:]
patch = X[:, :, i:i + kh, j:j + kw]
result = np.zeros((len(X), len(filters)))
for k in range(len(filters)):
    result[:, k] = np.sum(patch * filters[k], axis=(1, 2, 3))
''',
    "broadcast_new_axes": '''\
i, j = index
kh, kw = filters.shape[-2:]
patch = X[:, :, i:i + kh, j:j + kw]
result = np.sum(patch[:, None] * filters[None], axis=(2, 3, 4))
''',
    "tensordot": '''\
i, j = index
patch = X[:, :, i:i + filters.shape[2], j:j + filters.shape[3]]
result = np.tensordot(patch, filters, axes=([1, 2, 3], [1, 2, 3]))
''',
    "einsum": '''\
i, j = index
_, _, kh, kw = filters.shape
result = np.einsum("bchw,kchw->bk", X[:, :, i:i + kh, j:j + kw], filters)
''',
    "matrix_product": '''\
i, j = index
n_filters, channels, kh, kw = filters.shape
patch = X[:, :, i:i + kh, j:j + kw].reshape(len(X), channels * kh * kw)
result = patch @ filters.reshape(n_filters, channels * kh * kw).T
''',
    "nested_comprehension": '''\
i, j = index
kh, kw = filters.shape[2], filters.shape[3]
rows = []
for image in X:
    rows.append([np.sum(image[:, i:i + kh, j:j + kw] * f) for f in filters])
result = np.array(rows)
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "transposed_result": ("tensordot", "np.tensordot(patch, filters,", "np.tensordot(filters, patch,",
                          "I put the filters first in tensordot, so the result is (K, B)"),
    "einsum_output_order": ("einsum", '"bchw,kchw->bk"', '"bchw,kchw->kb"',
                            "my einsum writes the filters first"),
    "sums_filters_too": ("broadcast_new_axes", "axis=(2, 3, 4)", "axis=(1, 2, 3, 4)",
                         "I also summed over the filters"),
    "no_new_axes": ("broadcast_new_axes", "patch[:, None] * filters[None]", "patch * filters",
                    "I multiplied patch and filters without new axes, as if the batch were the filters"),
    "first_filter_for_all": ("filter_loop", "patch * filters[k]", "patch * filters[0]",
                             "I used filter 0 for every k"),
    "loop_writes_row": ("filter_loop", "result[:, k] =", "result[k] =",
                        "I wrote filter k's values into row k instead of column k"),
    "kernel_from_channel_axis": ("tensordot", "X[:, :, i:i + filters.shape[2], j:j + filters.shape[3]]",
                                 "X[:, :, i:i + filters.shape[1], j:j + filters.shape[2]]",
                                 "I read the kernel size from the wrong axes of filters"),
    "reshape_instead_of_transpose": ("matrix_product", "filters.reshape(n_filters, channels * kh * kw).T",
                                     "filters.reshape(channels * kh * kw, n_filters)",
                                     "I reshaped the filters to (C*KH*KW, K) instead of transposing them"),
    "index_swapped": ("einsum", "i, j = index", "j, i = index",
                      "I took the index as (column, row)"),
    "transposed_filters": ("einsum", '"bchw,kchw->bk"', '"bchw,kcwh->bk"',
                           "I multiplied with each filter transposed"),
    "one_image_only": ("nested_comprehension", "for image in X:", "for image in X[:1]:",
                       "I tried my loop on the first image and forgot to remove the [:1]"),
}
