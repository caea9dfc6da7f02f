"""Student solutions and mistakes for `dot_product_single_filter(X, F, index)`: one filter at one window of one image.

X is (C, H, W), F is (C, KH, KW) and `index` = (i, j) puts the window inside X (checked before the
gap, which then sets `result = 0`, as one version of the course's template does); the gap defines
`result`, the scalar sum of `X[:, i:i+KH, j:j+KW] * F`, and the code after it returns it. Written for
this catalogue, in the styles students use (slice and sum, three loops, np.tensordot, np.einsum, a flat
dot product, accumulating into the given zero).
"""
GAP = "single_filter"

SOLUTIONS = {
    "accumulates_into_the_given_zero": '''\
kh, kw = F.shape[1:]
for c in range(len(F)):
    result += np.sum(X[c, index[0]:index[0] + kh, index[1]:index[1] + kw] * F[c])
''',
    "slice_sum": '''\
i, j = index
kh, kw = F.shape[1:]
result = np.sum(X[:, i:i + kh, j:j + kw] * F)
''',
    "three_loops": '''\
result = 0
for c in range(F.shape[0]):
    for u in range(F.shape[1]):
        for v in range(F.shape[2]):
            result += X[c, index[0] + u, index[1] + v] * F[c, u, v]
''',
    "tensordot": '''\
row, col = index
patch = X[:, row:row + F.shape[1], col:col + F.shape[2]]
result = np.tensordot(patch, F, axes=3)
''',
    "einsum": '''\
i, j = index
_, kh, kw = F.shape
result = np.einsum("chw,chw->", X[:, i:i + kh, j:j + kw], F)
''',
    "flat_dot": '''\
window = X[:, index[0]:index[0] + F.shape[-2], index[1]:index[1] + F.shape[-1]]
result = np.dot(window.ravel(), F.ravel())
''',
    "method_sum": '''\
i, j = index[0], index[1]
result = (X[:, i:i + F.shape[1], j:j + F.shape[2]] * F).sum()
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "index_swapped": ("slice_sum", "i, j = index", "j, i = index",
                      "I took the index as (column, row)"),
    "square_filter": ("slice_sum", "kh, kw = F.shape[1:]", "kh = kw = F.shape[1]",
                      "I assumed the filter is square and used its height for the width too"),
    "no_channel_sum": ("slice_sum", "np.sum(X[:, i:i + kh, j:j + kw] * F)",
                       "np.sum(X[:, i:i + kh, j:j + kw] * F, axis=0)",
                       "I summed over the channels only and got a KH x KW array"),
    "window_end_without_index": ("method_sum", "X[:, i:i + F.shape[1], j:j + F.shape[2]]",
                                 "X[:, i:F.shape[1], j:F.shape[2]]",
                                 "the end of my window is the filter size, I forgot to add the index"),
    "window_from_origin": ("flat_dot", "X[:, index[0]:index[0] + F.shape[-2], index[1]:index[1] + F.shape[-1]]",
                           "X[:, :F.shape[-2], :F.shape[-1]]",
                           "I always took the window in the top-left corner"),
    "loop_square_filter": ("three_loops", "range(F.shape[2])", "range(F.shape[1])",
                           "both of my inner loops run to the filter height"),
    "reset_inside_loop": ("three_loops", "result = 0\nfor c in range(F.shape[0]):\n",
                          "for c in range(F.shape[0]):\n    result = 0\n",
                          "I set result to 0 inside the channel loop, so only the last channel counts"),
    "overwrites_sum": ("three_loops", "result += X", "result = X",
                       "I wrote = instead of +=, so only the last product is left"),
    "transposed_filter": ("einsum", '"chw,chw->"', '"chw,cwh->"',
                          "I multiplied with the transposed filter"),
    "tensordot_two_axes": ("tensordot", "axes=3", "axes=2",
                           "I told tensordot to sum over two axes, but there are three"),
    "window_one_too_far": ("tensordot", "patch = X[:, row:row + F.shape[1], col:col + F.shape[2]]",
                           "patch = X[:, row + 1:row + 1 + F.shape[1], col + 1:col + 1 + F.shape[2]]",
                           "I thought the index counts from 1 and moved the window by one"),
}
