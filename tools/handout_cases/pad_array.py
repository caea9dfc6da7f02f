"""Student solutions and mistakes for `pad_array(X, pad)`: zero padding of the last two axes of X, symmetrically.

X is an (N, C, H, W) array, as the course's template says (the reference pads any array with at least
two axes, which the handout's tests do not ask for), and `pad` a pair `(pad_h, pad_w)` of non-negative
ints (checked before the gap); the gap defines `result`, of X's dtype and shape
`(N, C, H + 2 pad_h, W + 2 pad_w)`, and the code after it returns it. `four_axes_np_pad` is written for
four axes only, as students do. Written for this catalogue, in
the styles students use (np.pad, slicing into zeros, concatenating zero blocks, a loop over rows).
"""
GAP = "pad_array"

SOLUTIONS = {
    "four_axes_np_pad": '''\
pad_h, pad_w = pad
result = np.pad(X, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)), mode="constant")
''',
    "np_pad": '''\
result = np.pad(X, [(0, 0)] * (X.ndim - 2) + [(pad[0], pad[0]), (pad[1], pad[1])])
''',
    "np_pad_constant_list": '''\
pad_width = [(0, 0) for _ in range(X.ndim - 2)]
pad_width.append((pad[0], pad[0]))
pad_width.append((pad[1], pad[1]))
result = np.pad(X, pad_width, mode="constant", constant_values=0)
''',
    "zeros_slice": '''\
ph, pw = pad
H, W = X.shape[-2:]
result = np.zeros(X.shape[:-2] + (H + 2 * ph, W + 2 * pw), dtype=X.dtype)
result[..., ph:ph + H, pw:pw + W] = X
''',
    "concatenate_zero_blocks": '''\
rows = np.zeros(X.shape[:-2] + (pad[0], X.shape[-1]), dtype=X.dtype)
result = np.concatenate([rows, X, rows], axis=-2)
cols = np.zeros(result.shape[:-1] + (pad[1],), dtype=X.dtype)
result = np.concatenate([cols, result, cols], axis=-1)
''',
    "row_loop": '''\
h, w = X.shape[-2], X.shape[-1]
result = np.zeros((*X.shape[:-2], h + 2 * pad[0], w + 2 * pad[1]), dtype=X.dtype)
for r in range(h):
    result[..., pad[0] + r, pad[1]:pad[1] + w] = X[..., r, :]
''',
    "zeros_like_shape": '''\
ph, pw = pad
shape = list(X.shape)
shape[-2] += 2 * ph
shape[-1] += 2 * pw
result = np.zeros_like(X, shape=shape)
result[..., ph:result.shape[-2] - ph, pw:result.shape[-1] - pw] = X
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "pads_leading_axes": ("np_pad", "[(0, 0)] * (X.ndim - 2)", "[(pad[0], pad[0])] * (X.ndim - 2)",
                          "I padded the batch and channel axes too"),
    "pads_every_axis_by_pad_h": ("np_pad", "[(0, 0)] * (X.ndim - 2) + [(pad[0], pad[0]), (pad[1], pad[1])]",
                                 "pad[0]", "I gave np.pad one number, so it pads every axis by pad_h"),
    "pads_first_two_axes": ("np_pad", "[(0, 0)] * (X.ndim - 2) + ", "",
                            "I gave np.pad only the two pairs, which it applies to the first axes"),
    "one_side_only": ("np_pad", "(pad[0], pad[0])", "(pad[0], 0)",
                      "I padded the top but not the bottom"),
    "height_width_swapped": ("np_pad_constant_list", "pad_width.append((pad[0], pad[0]))\n"
                             "pad_width.append((pad[1], pad[1]))",
                             "pad_width.append((pad[1], pad[1]))\npad_width.append((pad[0], pad[0]))",
                             "I padded the height by pad_w and the width by pad_h"),
    "before_after_confused": ("np_pad_constant_list", "pad_width.append((pad[0], pad[0]))\n"
                              "pad_width.append((pad[1], pad[1]))",
                              "pad_width.append((pad[0], pad[1]))\npad_width.append((pad[0], pad[1]))",
                              "I thought each pair of np.pad is (height, width), but it is (before, after)"),
    "edge_mode": ("np_pad_constant_list", 'mode="constant", constant_values=0', 'mode="edge"',
                  "I used mode='edge', which repeats the border instead of adding zeros"),
    "negative_slice_end": ("zeros_slice", "ph:ph + H, pw:pw + W", "ph:-ph, pw:-pw",
                           "I sliced with -ph, which selects nothing when the padding is 0"),
    "shape_pads_once": ("zeros_slice", "(H + 2 * ph, W + 2 * pw)", "(H + ph, W + pw)",
                        "I made the zero array only one padding larger"),
    "copies_to_corner": ("zeros_slice", "ph:ph + H, pw:pw + W", ":H, :W",
                         "I put X into the top-left corner of the zeros, not in the middle"),
    "concatenates_rows_twice": ("concatenate_zero_blocks", "result = np.concatenate([cols, result, cols], axis=-1)",
                                "result = np.concatenate([cols, result, cols], axis=-2)",
                                "my second concatenate is along the rows again"),
    "last_row_missing": ("row_loop", "for r in range(h):", "for r in range(h - 1):",
                         "my loop over the rows stops one row early"),
    "row_offset_missing": ("row_loop", "result[..., pad[0] + r,", "result[..., r,",
                           "I forgot to move the rows down by the padding"),
}
