"""Specification of lib.models and lib.model_files: the builders' architectures and model files (named arrays,
buffers, clear errors)."""
import numpy as np
import pytest

from exact_messages import exactly
from lib.activations import ReLU
from lib.convolutions import Conv2d, Flatten
from lib.experiments import create_conv_model
from lib.model_files import ModelFileError, load_model, model_arrays, named_layers, save_model
from lib.models import create_blurpool_cnn, create_gap_cnn, create_maxblurpool_cnn, create_maxpool_cnn
from lib.network import Linear, Sequential
from lib.network_base import Module
from lib.normalization import BatchNorm2d
from lib.pooling import BlurPool2d, MaxPool2d
from lib.shifts import Recentre
from lib.utilities import LibraryError, save_arrays


def small_bn_model():
    return Sequential(Conv2d(1, 3, 3, 1, 1), BatchNorm2d(3), ReLU(), MaxPool2d(2), Flatten(), Linear(3 * 4 * 4, 2))


@pytest.mark.parametrize("build, pools", [(create_maxpool_cnn, [MaxPool2d, MaxPool2d]),
                                          (create_blurpool_cnn, [BlurPool2d, BlurPool2d]),
                                          (create_maxblurpool_cnn, [MaxPool2d, BlurPool2d, MaxPool2d, BlurPool2d])])
def test_study_cnns_downsample_outside_the_convolutions_and_keep_the_course_head(build, pools):
    model = build()
    assert all(m.stride == (1, 1) for m in model.modules if isinstance(m, Conv2d))
    assert [type(m) for m in model.modules if isinstance(m, (MaxPool2d, BlurPool2d))] == pools
    assert model.modules[-1].W.data.shape == (490, 10)
    assert model(np.zeros((2, 1, 28, 28))).shape == (2, 10)


def test_arrays_are_named_after_their_layer_in_nested_containers():
    model = Sequential(Sequential(Conv2d(1, 2, 3)), ReLU(), BatchNorm2d(2))
    assert [name for name, _ in named_layers(model)] == ["0.0.Conv2d", "1.ReLU", "2.BatchNorm2d"]
    assert list(model_arrays(model)) == ["0.0.Conv2d.conv_filter", "0.0.Conv2d.conv_bias", "2.BatchNorm2d.weight",
                                         "2.BatchNorm2d.bias", "2.BatchNorm2d.running_mean",
                                         "2.BatchNorm2d.running_var"]


def test_a_single_layer_is_named_after_its_class():
    layer = Conv2d(1, 2, 3)
    assert list(named_layers(layer)) == [("Conv2d", layer)]
    assert list(model_arrays(layer)) == ["Conv2d.conv_filter", "Conv2d.conv_bias"]


def test_save_and_load_round_trip_parameters_and_running_statistics(tmp_path):
    np.random.seed(0)
    model = small_bn_model()
    x = np.random.default_rng(1).standard_normal((6, 1, 8, 8))
    for _ in range(3):  # training forwards move the running statistics away from 0 and 1
        model.train()(x)
    path = save_model(model, tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as saved:
        np.testing.assert_array_equal(saved["1.BatchNorm2d.running_mean"], model.modules[1].running_mean)
    np.random.seed(1)
    fresh = small_bn_model()
    buffer = fresh.modules[1].running_var
    load_model(fresh, path)
    assert fresh.modules[1].running_var is buffer  # copied into the layer's own array
    np.testing.assert_array_equal(fresh.eval()(x), model.eval()(x))


def test_loading_into_another_architecture_names_the_layer(tmp_path):
    path = save_model(small_bn_model(), tmp_path / "model.npz")
    other = Sequential(Conv2d(1, 3, 3, 1, 1), ReLU(), MaxPool2d(2), Flatten(), Linear(3 * 4 * 4, 2))
    with pytest.raises(ValueError, match=r"saved from another architecture: layer 4.Linear has no saved 'W'"):
        load_model(other, path)


def test_loading_resets_every_gradient_to_zeros(tmp_path):
    path = save_model(small_bn_model(), tmp_path / "model.npz")
    model = small_bn_model()
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    for p in load_model(model, path).parameters():
        assert p.grad.shape == p.data.shape and p.grad.dtype == p.data.dtype
        np.testing.assert_array_equal(p.grad, 0.0)


def test_a_model_file_of_another_architecture_names_the_first_missing_or_unexpected_array_exactly(tmp_path):
    arrays = model_arrays(small_bn_model())
    lacking = {k: v for k, v in arrays.items() if k not in ("0.Conv2d.conv_bias", "5.Linear.W")}
    path = save_arrays(tmp_path / "lacking.npz", lacking)
    with pytest.raises(ModelFileError, match=exactly(
            f"{path} was saved from another architecture: layer 0.Conv2d has no saved 'conv_bias' (missing "
            f"['0.Conv2d.conv_bias', '5.Linear.W'], unexpected []); delete it and train the model again")):
        load_model(small_bn_model(), path)
    extra = dict(arrays, **{"6.Linear.W": np.zeros(2), "7.ReLU.x": np.zeros(2)})  # nothing missing
    path = save_arrays(tmp_path / "extra.npz", extra)
    with pytest.raises(ModelFileError, match=exactly(
            f"{path} was saved from another architecture: the file has '6.Linear.W', which the model lacks (missing "
            f"[], unexpected ['6.Linear.W', '7.ReLU.x']); delete it and train the model again")):
        load_model(small_bn_model(), path)


def test_loading_arrays_of_the_wrong_shape_names_the_layer(tmp_path):
    path = save_model(small_bn_model(), tmp_path / "model.npz")
    wider = Sequential(Conv2d(1, 4, 3, 1, 1), BatchNorm2d(4), ReLU(), MaxPool2d(2), Flatten(), Linear(4 * 4 * 4, 2))
    with pytest.raises(ValueError, match=r"'conv_filter' of layer 0.Conv2d in .* has shape \(3, 1, 3, 3\), "
                                         r"the model expects \(4, 1, 3, 3\)"):
        load_model(wider, path)


def test_model_file_errors_are_value_errors_the_scripts_print_as_one_line():
    assert issubclass(ModelFileError, ValueError) and issubclass(ModelFileError, LibraryError)


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "a single .npy", "pickled"])
def test_an_unreadable_model_file_names_the_file_and_suggests_retraining(tmp_path, damage):
    path = save_model(small_bn_model(), tmp_path / "model.npz")
    content = path.read_bytes()
    if damage == "truncated":  # a copy killed half-way
        path.write_bytes(content[:len(content) // 2])
    elif damage == "not a zip":
        path.write_bytes(b"hello")
    elif damage == "a single .npy":
        with open(path, "wb") as f:
            np.save(f, np.zeros(3))
    else:
        np.savez(path, **{"0.Conv2d.conv_filter": np.array([{}], dtype=object)})
    with pytest.raises(ModelFileError, match=rf"^{path} is not a readable .npz file of arrays \(.+\): "
                                             r"delete it and train the model again$") as error:
        load_model(small_bn_model(), path)
    assert "allow_pickle" not in str(error.value)  # never invite loading untrusted data unsafely


def test_a_model_file_of_another_architecture_suggests_retraining(tmp_path):
    path = save_model(small_bn_model(), tmp_path / "model.npz")
    with pytest.raises(ModelFileError, match=r"layer 4.Linear has no saved 'W'.*delete it and train the model again$"):
        load_model(Sequential(Conv2d(1, 3, 3, 1, 1), ReLU(), MaxPool2d(2), Flatten(), Linear(3 * 4 * 4, 2)), path)


def test_a_model_file_holding_integers_names_the_array_and_the_layer(tmp_path):
    arrays = model_arrays(small_bn_model())
    arrays["5.Linear.b"] = np.zeros(2, dtype=np.int64)
    path = save_arrays(tmp_path / "model.npz", arrays)
    with pytest.raises(ModelFileError, match=r"^'b' of layer 5.Linear in .*model.npz holds int64 values, the model "
                                             r"expects floating-point numbers; delete it and train the model again$"):
        load_model(small_bn_model(), path)


def test_a_float32_model_file_loads(tmp_path):
    model = small_bn_model()
    path = save_arrays(tmp_path / "model.npz", {k: v.astype(np.float32) for k, v in model_arrays(model).items()})
    loaded = load_model(small_bn_model(), path)
    assert loaded.modules[0].W.data.dtype == np.float32
    np.testing.assert_array_equal(loaded.modules[0].W.data, model.modules[0].W.data.astype(np.float32))


def test_recentre_as_a_first_layer_trains_like_any_model():
    model = Sequential(Recentre(), Flatten(), Linear(25, 2))
    x = np.zeros((4, 1, 5, 5))
    x[:, 0, 0, 0] = 1.0  # a dot in the corner moves to the middle, (2, 2)
    out = model(x)
    np.testing.assert_allclose(out, model.modules[2](np.roll(x, (2, 2), axis=(2, 3)).reshape(4, -1)))
    model.backward_params(np.ones_like(out))
    np.testing.assert_allclose(model.modules[2].b.grad, [4.0, 4.0])
    with pytest.raises(NotImplementedError, match="Recentre has no input gradient"):
        model.backward(np.ones_like(out))


class Block(Module):
    """A user module with two layers inside: both Linears name their parameters "W" and "b"."""

    def __init__(self):
        super().__init__()
        self.first, self.second = Linear(3, 4), Linear(4, 2)

    def forward(self, x):
        return self.second(self.first(x))

    def parameters(self):
        return [*self.first.parameters(), *self.second.parameters()]


def test_a_user_module_with_repeated_parameter_names_round_trips(tmp_path):
    np.random.seed(0)
    model = Sequential(Block(), ReLU())
    path = save_model(model, tmp_path / "block.npz")
    assert list(model_arrays(model)) == ["0.Block.W", "0.Block.b", "0.Block.W_2", "0.Block.b_3"]
    np.random.seed(1)
    fresh = load_model(Sequential(Block(), ReLU()), path)
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(fresh(x), model(x))


def test_a_model_file_of_the_earlier_format_is_read_by_position(tmp_path):
    np.random.seed(0)
    model = create_conv_model()
    path = tmp_path / "old.npz"
    np.savez(path, **{f"{i:02d}_{p.name}": p.data for i, p in enumerate(model.parameters())})
    np.random.seed(1)
    fresh = load_model(create_conv_model(), path)
    for p, q in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_to_casts_parameters_and_refuses_non_float_types():
    model = Sequential(Linear(2, 2))
    assert model.to(np.float32) is model and model.parameters()[0].data.dtype == np.float32
    with pytest.raises(TypeError, match="dtype must be a floating-point type such as np.float32, got int64"):
        model.to(np.int64)


@pytest.mark.parametrize("channels, error, match", [((4, 8), ValueError, "channels must be three numbers"),
                                                    (4, ValueError, "channels must be three numbers"),
                                                    ((4, 8, 0), ValueError, r"channels\[2\] must be a positive int")])
def test_gap_cnn_rejects_bad_channel_counts(channels, error, match):
    with pytest.raises(error, match=match):
        create_gap_cnn(channels)
