"""Student solutions and mistakes for `Conv2d.forward(self, x)`: cross-correlation plus bias, padded input cached.

Before the gap x is checked to be (N, C, H, W) and real, and
`feature_map = np.empty(self._compute_output_shape(x.shape))` is (N, F, OH, OW) float64. The gap
computes `y[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, i*SH + u, j*SW + v]` (xp: x
zero-padded by `self.pad` on both sides of H and W; `self.W.data` (F, C, KH, KW), `self.b.data`
(F, 1, 1), `self.kernel_size`, `self.stride`, `self.pad` tuples (h, w)), stores xp in
`self.input_cache` and returns the output; the gap ends the method. The sheet's rule: at most two
nested for loops, vectorised over the batch and the channels. Written for this catalogue, in the
styles students use (two loops over the output with broadcasting, np.tensordot or np.einsum, two
loops over the kernel offsets, a strided view without loops).
"""
GAP = "conv_forward"

SOLUTIONS = {
    "loops_broadcast_sum": '''\
kh, kw = self.kernel_size
sh, sw = self.stride
ph, pw = self.pad
x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
self.input_cache = x_pad
for i in range(feature_map.shape[2]):
    for j in range(feature_map.shape[3]):
        window = x_pad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
        feature_map[:, :, i, j] = np.sum(window[:, None] * self.W.data[None], axis=(2, 3, 4))
feature_map += self.b.data
return feature_map
''',
    "loops_tensordot": '''\
x = np.pad(x, ((0, 0), (0, 0), (self.pad[0], self.pad[0]), (self.pad[1], self.pad[1])))
self.input_cache = x
n, f, out_h, out_w = feature_map.shape
bias = self.b.data.reshape(f)
for i in range(out_h):
    for j in range(out_w):
        top, left = i * self.stride[0], j * self.stride[1]
        window = x[:, :, top:top + self.kernel_size[0], left:left + self.kernel_size[1]]
        feature_map[:, :, i, j] = np.tensordot(window, self.W.data, axes=([1, 2, 3], [1, 2, 3])) + bias
return feature_map
''',
    "zeros_pad_einsum": '''\
n, c, h, w = x.shape
ph, pw = self.pad
padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
padded[:, :, ph:ph + h, pw:pw + w] = x
self.input_cache = padded
out = np.zeros(feature_map.shape)
for i in range(out.shape[2]):
    for j in range(out.shape[3]):
        r, s = i * self.stride[0], j * self.stride[1]
        patch = padded[:, :, r:r + self.kernel_size[0], s:s + self.kernel_size[1]]
        out[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, self.W.data)
out += self.b.data[np.newaxis, :, :, :]
return out
''',
    "kernel_offset_loops": '''\
kh, kw = self.kernel_size
sh, sw = self.stride
ph, pw = self.pad
self.input_cache = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
_, _, oh, ow = feature_map.shape
feature_map[...] = self.b.data
for u in range(kh):
    for v in range(kw):
        shifted = self.input_cache[:, :, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw]
        feature_map += np.einsum("nchw,fc->nfhw", shifted, self.W.data[:, :, u, v])
return feature_map
''',
    "sliding_window_view": '''\
ph, pw = self.pad
sh, sw = self.stride
x_padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="constant")
self.input_cache = x_padded
windows = np.lib.stride_tricks.sliding_window_view(x_padded, self.kernel_size, axis=(2, 3))[:, :, ::sh, ::sw]
out = np.tensordot(windows, self.W.data, axes=([1, 4, 5], [1, 2, 3]))
return out.transpose(0, 3, 1, 2) + self.b.data
''',
    "loops_bias_in_loop": '''\
kernel_h, kernel_w = self.kernel_size
stride_h, stride_w = self.stride
pad_h, pad_w = self.pad
x_pad = np.pad(x, [(0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)], "constant", constant_values=0)
self.input_cache = x_pad
weights = self.W.data[np.newaxis, :, :, :, :]
for row in range(feature_map.shape[-2]):
    for col in range(feature_map.shape[-1]):
        h0 = row * stride_h
        w0 = col * stride_w
        window = x_pad[:, np.newaxis, :, h0:h0 + kernel_h, w0:w0 + kernel_w]
        feature_map[:, :, row, col] = (window * weights).sum(axis=(2, 3, 4)) + self.b.data[:, 0, 0]
return feature_map
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "no_bias": ("loops_broadcast_sum", "feature_map += self.b.data\n", "",
                "I forgot to add the bias"),
    "bias_of_filter_0": ("loops_broadcast_sum", "feature_map += self.b.data", "feature_map += self.b.data[0]",
                         "I added the bias of the first filter to every filter"),
    "bias_shape_in_loop": ("loops_bias_in_loop", "+ self.b.data[:, 0, 0]", "+ self.b.data",
                           "I added the (F, 1, 1) bias to the (N, F) slice inside the loop"),
    "stride_axes_swapped": ("loops_broadcast_sum", "sh, sw = self.stride", "sw, sh = self.stride",
                            "I unpacked the stride as (width, height)"),
    "padding_axes_swapped": ("loops_broadcast_sum", "ph, pw = self.pad", "pw, ph = self.pad",
                             "I unpacked the padding as (width, height)"),
    "kernel_axes_swapped": ("kernel_offset_loops", "kh, kw = self.kernel_size", "kw, kh = self.kernel_size",
                            "I unpacked the kernel size as (width, height)"),
    "square_kernel": ("loops_broadcast_sum", "kh, kw = self.kernel_size", "kh = kw = self.kernel_size[0]",
                      "I assumed square kernels and used the kernel height for the width too"),
    "pads_one_side": ("loops_broadcast_sum", "((0, 0), (0, 0), (ph, ph), (pw, pw))",
                      "((0, 0), (0, 0), (ph, 0), (pw, 0))",
                      "I padded only the top and the left"),
    "pads_batch_and_channels": ("sliding_window_view", "((0, 0), (0, 0), (ph, ph), (pw, pw))",
                                "((ph, ph), (pw, pw), (0, 0), (0, 0))",
                                "I padded the first two axes, the batch and the channels"),
    "zeros_pad_once": ("zeros_pad_einsum", "(n, c, h + 2 * ph, w + 2 * pw)", "(n, c, h + ph, w + pw)",
                       "I made the padded array only one padding larger"),
    "no_input_cache": ("loops_broadcast_sum", "self.input_cache = x_pad\n", "",
                       "I forgot to store the input for backward"),
    "caches_unpadded_input": ("loops_bias_in_loop", "self.input_cache = x_pad", "self.input_cache = x",
                              "I stored the input before padding it"),
    "caches_before_padding": ("loops_tensordot",
                              "x = np.pad(x, ((0, 0), (0, 0), (self.pad[0], self.pad[0]), (self.pad[1], "
                              "self.pad[1])))\nself.input_cache = x\n",
                              "self.input_cache = x\nx = np.pad(x, ((0, 0), (0, 0), (self.pad[0], self.pad[0]), "
                              "(self.pad[1], self.pad[1])))\n",
                              "I stored x in the cache and padded it afterwards"),
    "convolves_unpadded_input": ("loops_broadcast_sum", "window = x_pad[:, :,", "window = x[:, :,",
                                 "I took the windows from x instead of the padded x"),
    "loops_to_input_height": ("loops_tensordot", "for i in range(out_h):", "for i in range(x.shape[2]):",
                              "my row loop runs over the input rows, not the output rows"),
    "loop_one_row_short": ("zeros_pad_einsum", "range(out.shape[2])", "range(out.shape[2] - 1)",
                           "my row loop stops one row early"),
    "no_stride_in_start": ("loops_broadcast_sum", "x_pad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]",
                           "x_pad[:, :, i:i + kh, j:j + kw]",
                           "I forgot to multiply the window start by the stride"),
    "stride_in_end_only": ("loops_broadcast_sum", "x_pad[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]",
                           "x_pad[:, :, i:i * sh + kh, j:j * sw + kw]",
                           "I put the stride into the end of the window but not into the start"),
    "window_one_too_long": ("loops_tensordot", "top:top + self.kernel_size[0]", "top:top + self.kernel_size[0] + 1",
                            "my window is one row longer than the kernel"),
    "third_loop_over_filters": ("loops_tensordot",
                                "        feature_map[:, :, i, j] = np.tensordot(window, self.W.data, "
                                "axes=([1, 2, 3], [1, 2, 3])) + bias\n",
                                "        for k in range(f):\n"
                                "            feature_map[:, k, i, j] = np.sum(window * self.W.data[k], "
                                "axis=(1, 2, 3)) + bias[k]\n",
                                "I looped over the filters inside the two position loops (three nested loops)"),
    "third_loop_over_batch": ("loops_bias_in_loop",
                              "        feature_map[:, :, row, col] = (window * weights).sum(axis=(2, 3, 4)) "
                              "+ self.b.data[:, 0, 0]\n",
                              "        for b in range(x.shape[0]):\n"
                              "            feature_map[b, :, row, col] = (window[b] * weights[0]).sum(axis=(1, 2, 3)) "
                              "+ self.b.data[:, 0, 0]\n",
                              "I looped over the images inside the two position loops (three nested loops)"),
    "sums_batch_too": ("loops_broadcast_sum", "axis=(2, 3, 4)", "axis=(0, 2, 3, 4)",
                       "I also summed over the batch axis"),
    "no_channel_sum": ("zeros_pad_einsum", '"nchw,fchw->nf"', '"nchw,fchw->nfc"',
                       "my einsum keeps the channel axis"),
    "tensordot_wrong_axes": ("loops_tensordot", "axes=([1, 2, 3], [1, 2, 3])", "axes=([1, 2, 3], [0, 2, 3])",
                             "I contracted the channels of the window with the filter axis of W"),
    "transposed_filter": ("zeros_pad_einsum", '"nchw,fchw->nf"', '"nchw,fcwh->nf"',
                          "I multiplied the window with the transposed filter"),
    "output_index_swapped": ("loops_broadcast_sum", "feature_map[:, :, i, j] =", "feature_map[:, :, j, i] =",
                             "I wrote the value of position (i, j) to (j, i)"),
    "view_stride_swapped": ("sliding_window_view", "[:, :, ::sh, ::sw]", "[:, :, ::sw, ::sh]",
                            "I stepped the windows' rows by the width stride and the columns by the height stride"),
    "view_without_stride": ("sliding_window_view", "[:, :, ::sh, ::sw]", "",
                            "I took every window of the strided view, ignoring the stride"),
    "offset_end_off_by_one": ("kernel_offset_loops", "u:u + sh * (oh - 1) + 1:sh", "u:u + sh * oh + 1:sh",
                              "my slice for a kernel offset takes one output row too many"),
    "output_transposed_wrong": ("sliding_window_view", "out.transpose(0, 3, 1, 2)", "out.transpose(0, 3, 2, 1)",
                                "I moved the filter axis to the front but swapped the height and the width"),
    "bias_never_kept": ("kernel_offset_loops", "feature_map[...] = self.b.data\n",
                        "feature_map = np.zeros(feature_map.shape)\n",
                        "I started from zeros and forgot to put the bias in"),
}
