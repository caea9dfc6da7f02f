"""Student solutions and mistakes for `shift_data(original_data, shift)`: move images right and down with zero fill.

Before the gap `original_data` is checked to be a 4-D (N, C, H, W) ndarray and `shift` a
non-negative int; the gap defines `shifted_data`, a new array of the same shape and dtype whose
content is moved `shift` pixels right and `shift` pixels down, the uncovered rows and columns zero
(all zeros when `shift` >= H or W), without changing `original_data`; the code after it returns it.
Written for this catalogue, in the styles students use (np.pad and crop, slicing into zeros, np.roll
and clearing the wrapped part, loops over pixels, concatenating zero blocks).
"""
GAP = "shift_data"

SOLUTIONS = {
    "pad_and_crop": '''\
height, width = original_data.shape[2], original_data.shape[3]
shifted_data = np.pad(original_data, ((0, 0), (0, 0), (shift, 0), (shift, 0)))[:, :, :height, :width]
''',
    "zeros_and_slice": '''\
_, _, height, width = original_data.shape
shifted_data = np.zeros_like(original_data)
if shift < height and shift < width:
    shifted_data[:, :, shift:, shift:] = original_data[:, :, :height - shift, :width - shift]
''',
    "roll_and_clear": '''\
shifted_data = np.roll(original_data, (shift, shift), axis=(2, 3))
shifted_data[:, :, :shift, :] = 0
shifted_data[:, :, :, :shift] = 0
''',
    "pixel_loops": '''\
shifted_data = np.zeros_like(original_data)
height, width = original_data.shape[-2:]
for r in range(shift, height):
    for c in range(shift, width):
        shifted_data[:, :, r, c] = original_data[:, :, r - shift, c - shift]
''',
    "concatenate_blocks": '''\
n, c, h, w = original_data.shape
s_h, s_w = min(shift, h), min(shift, w)
top = np.zeros((n, c, s_h, w), dtype=original_data.dtype)
rows = np.concatenate([top, original_data[:, :, :h - s_h]], axis=2)
left = np.zeros((n, c, h, s_w), dtype=original_data.dtype)
shifted_data = np.concatenate([left, rows[:, :, :, :w - s_w]], axis=3)
''',
    "copy_then_move": '''\
shifted_data = original_data.copy()
h, w = shifted_data.shape[2:]
s_h, s_w = min(shift, h), min(shift, w)
shifted_data[:, :, s_h:, :] = shifted_data[:, :, :h - s_h, :].copy()
shifted_data[:, :, :s_h, :] = 0
shifted_data[:, :, :, s_w:] = shifted_data[:, :, :, :w - s_w].copy()
shifted_data[:, :, :, :s_w] = 0
''',
}

MISTAKES = {
    # name: (base solution, old text, new text, what the student got wrong)
    "left_and_up": ("zeros_and_slice", "shifted_data[:, :, shift:, shift:] = original_data[:, :, :height - shift, "
                    ":width - shift]",
                    "shifted_data[:, :, :height - shift, :width - shift] = original_data[:, :, shift:, shift:]",
                    "I moved the images left and up instead of right and down"),
    "pad_left_and_up": ("pad_and_crop", "((0, 0), (0, 0), (shift, 0), (shift, 0)))[:, :, :height, :width]",
                        "((0, 0), (0, 0), (0, shift), (0, shift)))[:, :, shift:, shift:]",
                        "I padded at the bottom and right and cut off the top and left"),
    "down_only": ("pad_and_crop", "(shift, 0), (shift, 0)", "(shift, 0), (0, 0)",
                  "I shifted down but forgot to shift right"),
    "right_only": ("roll_and_clear", "np.roll(original_data, (shift, shift), axis=(2, 3))",
                   "np.roll(original_data, shift, axis=3)",
                   "I rolled only along the width, so the images move right but not down"),
    "breaks_at_zero": ("pad_and_crop", "[:, :, :height, :width]", "[:, :, :-shift, :-shift]",
                       "I cut the padding off with :-shift, which is empty for shift 0"),
    "crops_wrong_end": ("pad_and_crop", "[:, :, :height, :width]", "[:, :, shift:, shift:]",
                        "I cut the padding back off from the top and left, which undoes the shift"),
    "crop_axes_swapped": ("pad_and_crop", "height, width = original_data.shape[2], original_data.shape[3]",
                          "width, height = original_data.shape[2], original_data.shape[3]",
                          "I unpacked height and width the wrong way round"),
    "hard_coded_two": ("pad_and_crop", "(shift, 0), (shift, 0)", "(2, 0), (2, 0)",
                       "I shifted by 2, the sheet's number, instead of by shift"),
    "wraps_around": ("roll_and_clear", "shifted_data[:, :, :shift, :] = 0\nshifted_data[:, :, :, :shift] = 0\n", "",
                     "I used np.roll, so what leaves the image comes back on the other side"),
    "clears_wrong_side": ("roll_and_clear", "shifted_data[:, :, :shift, :] = 0",
                          "shifted_data[:, :, -shift:, :] = 0",
                          "I cleared the bottom rows instead of the top rows after rolling"),
    "roll_wrong_axes": ("roll_and_clear", "axis=(2, 3)", "axis=(1, 2)",
                        "I rolled the channel and row axes instead of rows and columns"),
    "breaks_for_large_shift": ("zeros_and_slice", "if shift < height and shift < width:\n    shifted_data",
                               "shifted_data",
                               "I did not think of shifts larger than the image"),
    "changes_input": ("zeros_and_slice", "shifted_data = np.zeros_like(original_data)",
                      "shifted_data = original_data",
                      "I shifted the caller's array in place instead of a new one"),
    "in_place_loops": ("pixel_loops", "shifted_data = np.zeros_like(original_data)", "shifted_data = original_data",
                       "I moved the pixels inside the original array"),
    "last_row_skipped": ("pixel_loops", "range(shift, height)", "range(shift, height - 1)",
                         "my row loop stops one row early"),
    "column_not_shifted": ("pixel_loops", "original_data[:, :, r - shift, c - shift]",
                           "original_data[:, :, r - shift, c]",
                           "I forgot to subtract the shift from the column"),
    "keeps_top_rows": ("copy_then_move", "shifted_data[:, :, :s_h, :] = 0\n", "",
                       "I forgot to clear the rows that the shift uncovers"),
    "fills_with_ones": ("concatenate_blocks", "top = np.zeros((n, c, s_h, w), dtype=original_data.dtype)",
                        "top = np.ones((n, c, s_h, w), dtype=original_data.dtype)",
                        "I filled the uncovered rows with ones instead of zeros"),
}
