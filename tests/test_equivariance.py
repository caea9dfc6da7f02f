"""Specification of the equivariance lab on hand-made models whose answer is known: stride-1 convolutions
move with any shift, stride 2 only with even shifts, two stride-2 layers only with multiples of 4, a
flattening head is not invariant, global average pooling is; the receptive fields and the compared
window match their definitions; consistency; clear errors for bad input."""
import numpy as np
import pytest

from lib import pooling
from lib.activations import ReLU
from lib.convolutions import Conv2d, Flatten
from lib.equivariance.measure import (SWEEP_COLUMNS, Geometry, cell_shift_candidates, compare_feature_maps, consistency,
                                      equivariance_errors, equivariance_sweep, layer_outputs, receptive_fields,
                                      relative_error, valid_window)
from lib.network import Linear, Sequential
from lib.network_base import Module
from lib.pooling import GlobalAvgPool2d
from lib.shifts import shift_images

from exact_messages import exactly
from recording import record

SHIFTS = range(-4, 5)
EXACT = 1e-12  # rounding only
CLEARLY_NOT = 1e-2


@pytest.fixture(autouse=True)
def global_seed():
    """Conv2d and Linear draw their weights from the global stream, as the course prescribes."""
    np.random.seed(0)


def random_images(n=3, channels=1, size=16, seed=1):
    return np.random.default_rng(seed).standard_normal((n, channels, size, size))


def conv(c_in, c_out, kernel=3, stride=1, padding=1):
    layer = Conv2d(c_in, c_out, kernel, stride, padding)
    layer.b.data = np.random.randn(*layer.b.data.shape)  # a bias, so that zero padding and zero fill differ
    return layer


def errors_by_layer(model, images, dy, dx):
    return [e.relative_error for e in equivariance_errors(model, images, dy, dx)]


class MaxPool2x2(Module):
    """A minimal 2x2 max pooling with the PyTorch-like attributes the lab reads."""
    kernel_size, stride, padding = (2, 2), (2, 2), (0, 0)

    def forward(self, x):
        n, c, h, w = x.shape
        return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


# --- known answers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dy", SHIFTS)
def test_a_stride_1_convolution_and_relu_move_exactly_with_every_shift(dy):
    model = Sequential(conv(2, 4, kernel=3), ReLU(), conv(4, 3, kernel=(2, 4), padding=(0, 2)))
    images = random_images(channels=2)
    for dx in SHIFTS:
        errors = equivariance_errors(model, images, dy, dx)
        assert [e.cell_shift for e in errors] == [(dy, dx)] * 3
        assert max(e.relative_error for e in errors) < EXACT


def test_a_stride_2_convolution_moves_exactly_with_even_shifts_only():
    model = Sequential(conv(1, 4, kernel=4, stride=2), ReLU())
    images = random_images(size=20)
    for dy in SHIFTS:
        for dx in SHIFTS:
            errors = equivariance_errors(model, images, dy, dx)
            if dy % 2 == 0 and dx % 2 == 0:
                assert errors[0].cell_shift == (dy // 2, dx // 2)
                assert max(e.relative_error for e in errors) < EXACT, (dy, dx)
            else:
                assert min(e.relative_error for e in errors) > CLEARLY_NOT, (dy, dx)


def test_two_stride_2_convolutions_move_exactly_with_multiples_of_4_only():
    model = Sequential(conv(1, 3, kernel=3, stride=2), ReLU(), conv(3, 4, kernel=3, stride=2))
    images = random_images(size=24)
    for dy in SHIFTS:
        for dx in SHIFTS:
            first, _, second = equivariance_errors(model, images, dy, dx)
            assert second.stride == (4, 4)
            assert (first.relative_error < EXACT) == (dy % 2 == 0 and dx % 2 == 0), (dy, dx)
            if dy % 4 == 0 and dx % 4 == 0:
                assert second.relative_error < EXACT and second.cell_shift == (dy // 4, dx // 4)
            else:
                assert second.relative_error > CLEARLY_NOT, (dy, dx)


def test_max_pooling_2x2_behaves_like_stride_2():
    model = Sequential(conv(1, 3), ReLU(), MaxPool2x2())
    images = random_images(size=16)
    assert receptive_fields(model)[2] == Geometry((2, 2), (4, 4), (-1, -1))
    for dy, dx in [(2, 0), (-4, 2), (0, -2)]:
        assert errors_by_layer(model, images, dy, dx)[2] < EXACT
    for dy, dx in [(1, 0), (0, 3), (-1, -1)]:
        assert errors_by_layer(model, images, dy, dx)[2] > CLEARLY_NOT


def test_the_library_max_pooling_behaves_like_stride_2():
    model = Sequential(conv(1, 3), ReLU(), pooling.MaxPool2d(2))
    images = random_images(size=16)
    assert [errors_by_layer(model, images, s, s)[2] < EXACT for s in (-2, -1, 1, 2)] == [True, False, False, True]


def test_a_linear_head_on_flattened_maps_is_not_invariant():
    model = Sequential(conv(1, 3), ReLU(), Flatten(), Linear(3 * 12 * 12, 5))
    images = random_images(size=12)
    for dy, dx in [(1, 0), (0, -2), (3, 3)]:
        errors = equivariance_errors(model, images, dy, dx)
        assert errors[1].relative_error < EXACT  # the maps move ...
        assert [e.cell_shift for e in errors[2:]] == [None, None]
        assert [e.positions for e in errors[2:]] == [3 * 12 * 12, 5]
        assert min(e.relative_error for e in errors[2:]) > CLEARLY_NOT  # ... the scores do not
    assert errors_by_layer(model, images, 0, 0) == [0.0] * 4


def test_global_average_pooling_after_stride_1_convolutions_is_invariant_away_from_the_border():
    model = Sequential(conv(1, 4), ReLU(), conv(4, 3), ReLU(), GlobalAvgPool2d(), Linear(3, 5))
    images = np.zeros((4, 1, 24, 24))
    images[:, :, 8:16, 8:16] = random_images(n=4, size=8)  # 8 empty pixels around the content
    for dy, dx in [(1, 0), (-3, 2), (4, 4), (-2, -4)]:
        errors = equivariance_errors(model, images, dy, dx)
        assert max(e.relative_error for e in errors) < 1e-10, (dy, dx)
    content_at_the_border = shift_images(images, 8, 8)
    assert errors_by_layer(model, content_at_the_border, 4, 4)[-2] > CLEARLY_NOT  # content pushed out


def test_the_cell_shift_is_the_best_of_the_two_neighbours():
    assert cell_shift_candidates(4, 2) == [2] and cell_shift_candidates(-3, 2) == [-2, -1]
    assert cell_shift_candidates(1, 4) == [0, 1] and cell_shift_candidates(0, 4) == [0]
    model = Sequential(conv(1, 3, kernel=4, stride=2))
    images = random_images(size=20)
    (error,) = equivariance_errors(model, images, 1, 0)
    geometry = receptive_fields(model)[0]
    originals, shifted = layer_outputs(model, images)[0], layer_outputs(model, shift_images(images, 1, 0))[0]
    candidates = []
    for cy in (0, 1):
        rows, cols = valid_window(geometry, (20, 20), (10, 10), (1, 0), (cy, 0))
        b = originals[:, :, rows.start - cy:rows.stop - cy, cols]
        candidates.append(relative_error(shifted[:, :, rows, cols], b))
    assert error.relative_error == min(candidates) and error.cell_shift == (int(np.argmin(candidates)), 0)


# --- geometry and the compared window -------------------------------------------------------------------

def test_receptive_fields_follow_the_layers_and_end_at_flatten():
    model = Sequential(Conv2d(1, 2, 4, 2, 1), ReLU(), Conv2d(2, 2, (3, 5), (1, 2), (0, 2)), Flatten(),
                       Linear(2, 2))
    assert receptive_fields(model) == [
        Geometry((2, 2), (4, 4), (-1, -1)), Geometry((2, 2), (4, 4), (-1, -1)),
        Geometry((2, 4), (8, 12), (-1, -5)), None, None]


def test_receptive_fields_are_the_pixels_that_change_a_cell():
    """Positive weights, no bias: one bright pixel lights up exactly the cells whose receptive field holds it."""
    model = Sequential(Conv2d(1, 1, 3, 2, 1), ReLU(), MaxPool2x2(), Conv2d(1, 1, (2, 3), 1, (1, 0)))
    for layer in (model.modules[0], model.modules[3]):
        layer.W.data = np.abs(layer.W.data) + 0.1
    geometries = receptive_fields(model)
    assert geometries[3] == Geometry((4, 4), (9, 13), (-5, -1))
    for row, col in [(0, 0), (5, 9), (16, 3), (10, 16)]:
        image = np.zeros((1, 1, 17, 17))
        image[0, 0, row, col] = 1.0
        for index, out in enumerate(layer_outputs(model, image)):
            jump, extent, offset = geometries[index]
            rows, cols = np.indices(out.shape[2:])  # (h, w) each
            sees = ((offset[0] + rows * jump[0] <= row) & (row < offset[0] + rows * jump[0] + extent[0])
                    & (offset[1] + cols * jump[1] <= col) & (col < offset[1] + cols * jump[1] + extent[1]))
            inside = ((offset[0] + rows * jump[0] >= 0) & (offset[0] + rows * jump[0] + extent[0] <= 17)
                      & (offset[1] + cols * jump[1] >= 0) & (offset[1] + cols * jump[1] + extent[1] <= 17))
            lit = out[0, 0] > 0
            # Exact where the field lies inside the image; a field reaching into padding may overstate the
            # pixels a cell really sees (zero padding, or cells a floor division dropped).
            np.testing.assert_array_equal(lit[inside], sees[inside], err_msg=f"layer {index}, pixel {(row, col)}")
            assert not np.any(lit & ~sees), (index, row, col)


def test_the_valid_window_keeps_exactly_the_cells_away_from_padding_and_fill():
    geometry = Geometry((2, 2), (4, 4), (-1, -1))  # 4x4 kernel, stride 2, padding 1
    image, cells = 28, 14
    for shift in range(-5, 6):
        for cell_shift in cell_shift_candidates(shift, 2):
            rows, _ = valid_window(geometry, (image, image), (cells, cells), (shift, 0), (cell_shift, 0))
            expected = [i for i in range(cells) if 0 <= i - cell_shift < cells
                        and max(shift, 0) <= -1 + 2 * i and -1 + 2 * i + 3 <= image - 1 + min(shift, 0)
                        and 0 <= -1 + 2 * (i - cell_shift) and -1 + 2 * (i - cell_shift) + 3 <= image - 1]
            assert list(range(rows.start, rows.stop)) == expected, (shift, cell_shift)


def test_no_compared_cell_gives_nan_and_zero_positions():
    model = Sequential(conv(1, 2, kernel=3, padding=0))
    (error,) = equivariance_errors(model, random_images(size=5), 3, 0)
    assert np.isnan(error.relative_error) and error.positions == 0


def test_relative_error_definition():
    assert relative_error(np.array([1.0, 2.5]), np.array([1.0, 2.0])) == 0.25
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(3), np.zeros(3)) == float("inf")
    assert np.isnan(relative_error(np.zeros(0), np.zeros(0)))


# --- records, sweep, modes --------------------------------------------------------------------------------

def test_records_name_each_layer_and_the_sweep_gives_csv_rows():
    model = Sequential(conv(1, 2, stride=2), ReLU(), Flatten(), Linear(2 * 4 * 4, 3))
    images = random_images(size=8)
    errors = equivariance_errors(model, images, 2, 0)
    assert [(e.layer_index, e.layer, e.stride, e.cell_shift) for e in errors] == [
        (0, "Conv2d", (2, 2), (1, 0)), (1, "ReLU", (2, 2), (1, 0)), (2, "Flatten", None, None),
        (3, "Linear", None, None)]
    rows = equivariance_sweep(model, images, "tiny", shifts=[-1, 0, 2])
    assert len(rows) == 9 * 4 and all(tuple(row) == SWEEP_COLUMNS for row in rows)
    assert rows[0] == {"model": "tiny", "layer_index": 0, "layer": "Conv2d", "dy": -1, "dx": -1,
                       "relative_error": rows[0]["relative_error"]}
    row = [r for r in rows if (r["dy"], r["dx"], r["layer_index"]) == (2, 0, 3)][0]
    assert row["relative_error"] == errors[3].relative_error
    assert len(equivariance_sweep(model, images, "tiny")) == 81 * 4


def test_the_model_runs_in_eval_mode_and_keeps_its_modes():
    seen = []

    class Recorder(Module):
        def forward(self, x):
            seen.append(self.training)
            return x

    recorder, relu = Recorder(), ReLU().eval()
    model = Sequential(conv(1, 2), recorder, relu)
    equivariance_errors(model, random_images(size=6), 1, 1)
    consistency(model, random_images(size=6), rng=np.random.default_rng(0))
    assert seen and not any(seen)
    assert model.training and recorder.training and not relu.training


def test_a_module_that_changes_the_map_size_without_a_kernel_is_refused():
    class Crop(Module):
        def forward(self, x):
            return x[:, :, 1:, 1:]

    with pytest.raises(ValueError, match=r"layer 1 \(Crop\) .* changes the map size from \(8, 8\) to \(7, 7\)"):
        equivariance_errors(Sequential(conv(1, 2), Crop()), random_images(size=8), 1, 0)


def test_compare_feature_maps_aligns_the_maps_by_the_cell_shift():
    model = Sequential(conv(1, 3, kernel=4, stride=2), ReLU(), conv(3, 2, kernel=4, stride=2))
    image = random_images(n=1, size=28)[0]
    first, second = compare_feature_maps(model, image, 2, 2, [0, 2])
    assert (first.layer, first.cell_shift, first.original.shape) == ("Conv2d", (1, 1), (3, 14, 14))
    rows, cols = first.window
    np.testing.assert_allclose(first.shifted[:, rows, cols], first.moved[:, rows, cols], rtol=0, atol=1e-12)
    assert second.stride == (4, 4) and second.relative_error > CLEARLY_NOT
    np.testing.assert_array_equal(first.moved, shift_images(first.original[None], 1, 1)[0])
    with pytest.raises(ValueError, match="layer_indices must name layers with a spatial map, got 5"):
        compare_feature_maps(model, image, 2, 2, [5])


def test_compare_feature_maps_defaults_to_the_first_two_convolutions_as_plot_feature_maps_does():
    model = Sequential(conv(1, 3), ReLU(), conv(3, 2), ReLU(), conv(2, 2))
    image = random_images(n=1, size=8)[0]
    chosen = compare_feature_maps(model, image, 1, 0)
    assert [c.layer_index for c in chosen] == [0, 2]
    for default, named in zip(chosen, compare_feature_maps(model, image, 1, 0, [0, 2])):
        np.testing.assert_array_equal(default.shifted, named.shifted)
    assert [c.layer_index for c in compare_feature_maps(model, image, 1, 0, (4,))] == [4]


@pytest.mark.parametrize("model, layer_indices, error, message", [
    (Sequential(Flatten(), Linear(64, 3)), None, ValueError,
     "model has no Conv2d layer; name the layers with layer_indices"),
    (Sequential(conv(1, 2)), 0, TypeError, "layer_indices must be None or a sequence of layer positions, got 0"),
    (Sequential(conv(1, 2)), "0", TypeError, "layer_indices must be None or a sequence of layer positions"),
    (Sequential(conv(1, 2)), [0.0], TypeError, r"layer_indices\[0\] must be an integer, got 0.0"),
    (Conv2d(1, 2, 3), None, TypeError, "model must be a Sequential, got Conv2d"),
])
def test_compare_feature_maps_refuses_bad_layer_indices(model, layer_indices, error, message):
    with pytest.raises(error, match=message):
        compare_feature_maps(model, random_images(n=1, size=8)[0], 1, 0, layer_indices)


# --- consistency --------------------------------------------------------------------------------------------

class Constant(Module):
    def forward(self, x):
        return np.tile(np.arange(4.0), (len(x), 1))


def test_consistency_is_1_for_a_constant_model():
    assert consistency(Constant(), random_images(n=7, size=6), max_shift=3, pairs=4,
                       rng=np.random.RandomState(0)) == 1.0


def test_consistency_is_about_chance_for_a_model_that_predicts_from_the_pixel_position():
    size, classes = 16, 10
    head = Linear(size * size, classes)
    head.W.data = np.eye(classes)[np.random.default_rng(3).integers(0, classes, size * size)]  # a class per pixel
    head.b.data = np.zeros(classes)
    images = np.zeros((400, 1, size, size))
    images[:, 0, 8, 8] = 1.0
    result = consistency(Sequential(Flatten(), head), images, max_shift=3, pairs=5, rng=np.random.default_rng(0),
                         batch_size=128)
    same_position = 1 / 49  # both shifts equal: 7 x 7 possible shifts
    assert abs(result - (same_position + (1 - same_position) / classes)) < 0.04
    assert consistency(Sequential(Flatten(), head), images, max_shift=0, rng=np.random.default_rng(0)) == 1.0


def test_consistency_is_reproducible_and_independent_of_the_batch_size():
    model = Sequential(conv(1, 2, stride=2), ReLU(), Flatten(), Linear(2 * 5 * 5, 4))
    images = random_images(n=30, size=10)
    state = np.random.get_state()
    results = {consistency(model, images, pairs=3, rng=np.random.default_rng(5), batch_size=b) for b in (1, 7, 64)}
    assert len(results) == 1
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # the global stream is untouched


# --- bad input ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, error, message", [
    (lambda m, x: equivariance_errors(Conv2d(1, 1, 3), x, 1, 1), TypeError, "model must be a Sequential, got Conv2d"),
    (lambda m, x: equivariance_errors(m, x[0], 1, 1), ValueError,
     r"images must have shape \(N, C, H, W\) with N >= 1, got shape \(1, 8, 8\)"),
    (lambda m, x: equivariance_errors(m, x[:0], 1, 1), ValueError, r"N >= 1, got shape \(0, 1, 8, 8\)"),
    (lambda m, x: equivariance_errors(m, x.astype(complex), 1, 1), TypeError, "images must be real-valued"),
    (lambda m, x: equivariance_errors(m, x, 1.0, 1), TypeError, "dy must be an integer, got 1.0"),
    (lambda m, x: equivariance_errors(m, x, 1, True), TypeError, "dx must be an integer, got True"),
    (lambda m, x: equivariance_sweep(m, x, "m", shifts=[0, 0.5]), TypeError, r"shifts\[1\] must be an integer"),
    (lambda m, x: consistency(m, x, max_shift=-1), ValueError, "max_shift must be >= 0, got -1"),
    (lambda m, x: consistency(m, x, max_shift=1.5), TypeError, "max_shift must be an integer"),
    (lambda m, x: consistency(m, x, pairs=0), ValueError, "pairs must be a positive int, got 0"),
    (lambda m, x: consistency(m, x, rng=1), TypeError, "rng must be a numpy Generator or RandomState, got int"),
    (lambda m, x: consistency("model", x), TypeError, "model must be a Module, got str"),
])
def test_bad_input_is_refused_with_a_message_naming_the_argument(call, error, message):
    model = Sequential(conv(1, 2), ReLU())
    with pytest.raises(error, match=message):
        call(model, random_images(n=2, size=8))


@pytest.mark.parametrize("geometry, image, cells", [
    (Geometry((2, 2), (4, 4), (0, 0)), 20, 9),  # no padding: the fill band is not implied by the partner's border
    (Geometry((1, 1), (3, 3), (0, 0)), 12, 10),
    (Geometry((3, 3), (5, 5), (-2, -2)), 17, 6),
    (Geometry((4, 4), (9, 13), (-5, -1)), 17, 5),
    (Geometry((1, 1), (3, 3), (0, 0)), 12, 6),  # a map smaller than the fields allow (e.g. a crop)
    (Geometry((2, 2), (2, 2), (3, 3)), 16, 4),  # cells that start inside the image (a positive offset)
])
def test_the_valid_window_in_geometries_where_each_condition_matters(geometry, image, cells):
    """Every cell shift, not only the candidates: each of the four conditions of the definition decides some cell."""
    (jump, _), (size, _), (offset, _) = geometry
    for shift in range(-7, 8):
        for cell_shift in range(-4, 5):
            rows, cols = valid_window(geometry, (image, image + 3), (cells, cells + 2), (shift, 0), (cell_shift, 0))

            def first(i):  # the first pixel cell i sees
                return offset + jump * i

            expected = [i for i in range(cells) if 0 <= i - cell_shift < cells
                        and max(shift, 0) <= first(i) and first(i) + size - 1 <= image - 1 + min(shift, 0)
                        and 0 <= first(i - cell_shift) and first(i - cell_shift) + size - 1 <= image - 1]
            assert list(range(rows.start, rows.stop)) == expected, (shift, cell_shift)
            assert rows.stop >= rows.start


def test_the_filled_in_band_of_the_shift_is_left_out_of_the_comparison():
    """kernel 4, stride 2, no padding, shift 3: the floor cell shift 1 pairs cell 1 with cell 0, whose partner is
    fine but which sees the zero band (pixels 0..2) of the shifted image; it must not be compared."""
    geometry = Geometry((2, 2), (4, 4), (0, 0))
    rows, cols = valid_window(geometry, (20, 20), (9, 9), (3, 0), (1, 0))
    assert (rows.start, rows.stop) == (2, 9) and (cols.start, cols.stop) == (0, 9)
    rows, _ = valid_window(geometry, (20, 20), (9, 9), (-3, 0), (-1, 0))
    assert (rows.start, rows.stop) == (0, 7)  # cell 7 (partner 8 is inside) sees rows 14..17; the band is 17..19


def test_cell_shift_candidates_for_negative_and_large_shifts():
    assert cell_shift_candidates(-4, 4) == [-1] and cell_shift_candidates(-5, 4) == [-2, -1]
    assert cell_shift_candidates(7, 3) == [2, 3] and cell_shift_candidates(3, 1) == [3]


def test_receptive_fields_read_padding_dilation_and_non_square_strides():
    model = Sequential(Window(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0)),
                       Window(kernel_size=3, stride=2, padding=2, dilation=(2, 1)), ReLU(),
                       Window(kernel_size=(2, 2), stride=(3, 1)), GlobalAvgPool2d(), Linear(1, 1))
    # per axis: (J, R, S) -> (J*s, R + d*(k-1)*J, S - p*J)
    assert receptive_fields(model) == [
        Geometry((1, 2), (3, 2), (-1, 0)),
        Geometry((2, 4), (3 + 2 * 2 * 1, 2 + 1 * 2 * 2), (-1 - 2 * 1, 0 - 2 * 2)),
        Geometry((2, 4), (7, 6), (-3, -4)),
        Geometry((6, 4), (7 + 1 * 2, 6 + 1 * 4), (-3, -4)),
        None, None]
    with pytest.raises(TypeError, match="model must be a Sequential"):
        receptive_fields(ReLU())


class Window(Module):
    """A module with the attributes a window layer has, set as given."""

    def __init__(self, **attributes):
        super().__init__()
        self.__dict__.update(attributes)

    def forward(self, x):
        return x


@pytest.mark.parametrize("attributes, error, message", [
    ({"kernel_size": 0, "stride": 1}, ValueError,
     "Window.kernel_size must be positive ints (height, width), got (0, 0)"),
    ({"kernel_size": 2, "stride": (1, 0)}, ValueError,
     "Window.stride must be positive ints (height, width), got (1, 0)"),
    ({"kernel_size": 2, "stride": 1, "padding": -1}, ValueError,
     "Window.padding must be non-negative ints (height, width), got (-1, -1)"),
    ({"kernel_size": 2, "stride": 1, "pad": (0, -2)}, ValueError,
     "Window.padding must be non-negative ints (height, width), got (0, -2)"),
    ({"kernel_size": 2, "stride": 1, "dilation": 0}, ValueError,
     "Window.dilation must be positive ints (height, width), got (0, 0)"),
])
def test_receptive_fields_refuse_impossible_window_attributes_naming_the_layer(attributes, error, message):
    with pytest.raises(error, match=exactly(message)):
        receptive_fields(Sequential(Window(**attributes)))


def test_a_module_with_only_a_stride_or_only_a_kernel_is_not_a_window():
    model = Sequential(Window(stride=2), Window(kernel_size=3), Window(kernel_size=3, stride=1, pad=2))
    assert receptive_fields(model) == [Geometry((1, 1), (1, 1), (0, 0))] * 2 + [Geometry((1, 1), (3, 3), (-2, -2))]


def test_relative_error_in_float64_whatever_the_input_dtype():
    assert relative_error(np.array([1], dtype=np.uint8), np.array([2], dtype=np.uint8)) == 0.5  # no wrap-around
    assert np.isnan(relative_error(np.zeros((2, 0)), np.zeros((2, 0))))


@pytest.mark.parametrize("dy, dx", [(3, -1), (1, 1), (-1, 3), (3, 3), (-3, 1)])
def test_the_records_count_the_compared_values_and_pick_the_better_neighbour(dy, dx):
    model = Sequential(conv(1, 3, kernel=4, stride=2, padding=0), ReLU(), Flatten())
    images = random_images(n=2, size=20)
    conv_error, relu_error, flat_error = equivariance_errors(model, images, dy, dx)
    geometry = receptive_fields(model)[0]
    rows, cols = valid_window(geometry, (20, 20), (9, 9), (dy, dx), conv_error.cell_shift)
    assert conv_error.positions == (rows.stop - rows.start) * (cols.stop - cols.start) * 3  # cells x channels
    assert flat_error.positions == 3 * 9 * 9 and flat_error.stride is None
    originals = layer_outputs(model, images)[0]
    shifted = layer_outputs(model, shift_images(images, dy, dx))[0]
    errors = {}
    for cy in cell_shift_candidates(dy, 2):
        for cx in cell_shift_candidates(dx, 2):
            r, c = valid_window(geometry, (20, 20), (9, 9), (dy, dx), (cy, cx))
            partner = originals[:, :, r.start - cy:r.stop - cy, c.start - cx:c.stop - cx]
            errors[(cy, cx)] = relative_error(shifted[:, :, r, c], partner)
    assert conv_error.relative_error == min(errors.values())
    assert conv_error.cell_shift == min(errors, key=errors.get)
    assert relu_error.stride == conv_error.stride == (2, 2)  # each layer picks its own best cell shift


def test_with_no_compared_cell_the_first_candidates_are_reported():
    model = Sequential(conv(1, 2, kernel=3, stride=2, padding=0))
    (error,) = equivariance_errors(model, random_images(size=5), 3, -5)
    assert error.cell_shift == (1, -3) and np.isnan(error.relative_error) and error.positions == 0


def test_the_sizes_a_module_without_a_kernel_is_compared_with_follow_the_windows():
    class Same(Module):
        def forward(self, x):
            return x

    model = Sequential(conv(1, 2, stride=2), Same(), MaxPool2x2(), Same())
    errors = equivariance_errors(model, random_images(size=12), 4, 0)
    assert [e.stride for e in errors] == [(2, 2), (2, 2), (4, 4), (4, 4)]


def test_compare_feature_maps_accepts_one_image_with_a_batch_axis_and_refuses_more():
    model = Sequential(conv(1, 2))
    image = random_images(n=1, size=8)
    (from_4d,) = compare_feature_maps(model, image, 1, 0, [0])
    (from_3d,) = compare_feature_maps(model, image[0], 1, 0, [0])
    np.testing.assert_array_equal(from_4d.shifted, from_3d.shifted)
    with pytest.raises(ValueError, match=exactly("image must be one image (C, H, W) or (1, C, H, W), "
                                                 "got shape (2, 1, 8, 8)")):
        compare_feature_maps(model, random_images(n=2, size=8), 1, 0, [0])
    for bad in ([1], [-1]):  # one past the last layer, and a negative position
        with pytest.raises(ValueError, match=exactly(f"layer_indices must name layers with a spatial map, "
                                                     f"got {bad[0]}")):
            compare_feature_maps(model, image, 1, 0, bad)


@pytest.mark.parametrize("name", ["dy", "dx"])
def test_the_shift_arguments_are_named_in_their_errors(name):
    model, image = Sequential(conv(1, 2)), random_images(n=1, size=8)
    kwargs = {"dy": 1, "dx": 1, name: 0.5}
    for call in (lambda: compare_feature_maps(model, image, kwargs["dy"], kwargs["dx"]),
                 lambda: equivariance_errors(model, image, kwargs["dy"], kwargs["dx"])):
        with pytest.raises(TypeError, match=exactly(f"{name} must be an integer, got 0.5 of type float")):
            call()


def test_the_default_layers_message_and_the_model_type_message_are_exact():
    with pytest.raises(ValueError, match=exactly("model has no Conv2d layer; name the layers with layer_indices")):
        compare_feature_maps(Sequential(ReLU()), random_images(n=1, size=8)[0], 1, 0)


# --- consistency: its defaults and its batching -----------------------------------------------------------

class PositionClassifier(Module):
    """Predicts the row of the brightest pixel (a class per row): shifting vertically changes the class."""

    def forward(self, x):
        return x.max(axis=(1, 3))  # (N, H): the row with the largest value wins


def test_consistency_defaults_are_three_pixels_five_pairs_and_a_fixed_generator():
    images = np.zeros((40, 1, 16, 16))
    images[:, 0, 8, 8] = 1.0
    model = PositionClassifier()
    default = consistency(model, images)
    assert default == consistency(model, images, max_shift=3, pairs=5, rng=np.random.default_rng(0))
    offsets = np.random.default_rng(0).integers(-3, 4, size=(5, 2, 40, 2))
    assert default == np.mean(offsets[:, 0, :, 0] == offsets[:, 1, :, 0])  # same class iff the same dy


@pytest.mark.parametrize("batch_size", [1, 3, 7, 40])
def test_consistency_measures_every_image_once_per_pair_whatever_the_batch_size(monkeypatch, batch_size):
    seen, model = [], PositionClassifier()
    record(monkeypatch, model, "forward", seen, keep=lambda arguments: len(arguments["x"]))
    images = np.zeros((10, 1, 16, 16))
    images[:, 0, 8, 8] = 1.0
    result = consistency(model, images, max_shift=2, pairs=3, rng=np.random.default_rng(4), batch_size=batch_size)
    offsets = np.random.default_rng(4).integers(-2, 3, size=(3, 2, 10, 2))
    assert result == np.mean(offsets[:, 0, :, 0] == offsets[:, 1, :, 0])
    assert sum(seen) == 10 * 3 * 2 and max(seen) == min(batch_size, 10)


def test_consistency_names_its_batch_size_argument():
    with pytest.raises(ValueError, match=exactly("batch_size must be a positive int, got 0")):
        consistency(PositionClassifier(), random_images(), batch_size=0)
    with pytest.raises(ValueError, match=exactly("pairs must be a positive int, got -1")):
        consistency(PositionClassifier(), random_images(), pairs=-1)


def test_a_first_module_that_changes_the_map_size_without_a_kernel_is_refused():
    class Crop(Module):
        def forward(self, x):
            return x[:, :, 1:, 1:]

    with pytest.raises(ValueError, match=exactly("cannot tell where the cells of layer 0 (Crop) look: it changes the "
                                                 "map size from (8, 8) to (7, 7) without kernel_size and stride "
                                                 "attributes")):
        equivariance_errors(Sequential(Crop()), random_images(size=8), 1, 0)


def test_a_module_that_ends_the_map_itself_is_measured_as_invariance_per_image():
    class ChannelMax(Module):
        def forward(self, x):
            return x.max(axis=(2, 3))  # (N, C): no map, though not one of the known spatial ends

    model = Sequential(conv(1, 3), ChannelMax())
    images = random_images(n=1, size=8)
    conv_error, max_error = equivariance_errors(model, images, 1, 0)
    assert (max_error.stride, max_error.cell_shift, max_error.positions) == (None, None, 3)
    assert max_error.relative_error == relative_error(model(shift_images(images, 1, 0)), model(images))


def test_a_candidate_without_compared_cells_is_skipped_for_the_next_one():
    """kernel 2, stride 2, 7 pixels, dx = -5: cell shift -3 leaves no cell to compare, -2 leaves one column."""
    model = Sequential(conv(1, 2, kernel=2, stride=2, padding=0))
    images = random_images(n=2, size=7)
    (error,) = equivariance_errors(model, images, 0, -5)
    assert cell_shift_candidates(-5, 2) == [-3, -2]
    assert error.cell_shift == (0, -2) and error.positions == 3 * 1 * 2 and np.isfinite(error.relative_error)


def test_equal_errors_keep_the_floor_candidate():
    model = Sequential(conv(1, 2, kernel=4, stride=2, padding=0), ReLU())
    model.modules[0].b.data[:] = 0.0
    errors = equivariance_errors(model, np.zeros((1, 1, 20, 20)), 3, -1)  # every error is 0.0
    assert [e.cell_shift for e in errors] == [(1, -1), (1, -1)] and errors[0].relative_error == 0.0


def test_each_axis_uses_its_own_stride():
    model = Sequential(conv(1, 2, kernel=(3, 3), stride=(2, 1), padding=0))
    errors = equivariance_errors(model, random_images(size=12), 2, 1)
    assert errors[0].cell_shift == (1, 1) and errors[0].stride == (2, 1) and errors[0].relative_error < EXACT
    model = Sequential(conv(1, 2, kernel=(3, 3), stride=(2, 3), padding=0))
    (error,) = equivariance_errors(model, random_images(size=5), 4, 0)  # nothing fits: the first candidates
    assert error.cell_shift == (2, 0) and error.positions == 0 and np.isnan(error.relative_error)
