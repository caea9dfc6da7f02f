"""Specification of accuracy, evaluate and the course's training loop."""
import numpy as np
import pytest

from lib import model_evaluation
from lib.activations import ReLU
from lib.losses import CrossEntropyLoss
from lib.dropout import Dropout
from lib.model_evaluation import accuracy, evaluate, predict
from lib.model_training import fit, train
from lib.network import Linear, Sequential
from lib.optimizers import SGD, Adam
from lib.utilities import one_hot_encoding


def make_problem(n=60, seed=0):
    """Two well-separated Gaussian blobs in 4-D, one-hot labels."""
    rng = np.random.RandomState(seed)
    classes = rng.randint(0, 2, n)
    x = rng.randn(n, 4) + 3.0 * classes[:, None]
    return x, one_hot_encoding(classes, 2)


def make_model():
    np.random.seed(0)
    return Sequential(Linear(4, 8), ReLU(), Linear(8, 2))


def test_accuracy_compares_argmax_of_both():
    y = one_hot_encoding(np.array([0, 1, 2, 1]), 3)
    preds = np.array([[5, 0, 0], [0, 1, 0], [0, 2, 1], [3, 0, 0]], dtype=float)
    assert accuracy(y, preds) == 0.5
    assert accuracy(np.array([0, 1, 2, 1]), preds) == 0.5


def test_evaluate_returns_accuracy_first_and_the_summed_batch_losses(monkeypatch):
    x, y = make_problem()
    model, loss = make_model(), CrossEntropyLoss()
    acc, cost = evaluate(x, y, model, loss, batch_size=10)
    per_batch = [loss(model(x[i:i + 10]), y[i:i + 10]) for i in range(0, 60, 10)]
    assert cost == pytest.approx(sum(per_batch), rel=1e-12)
    assert acc == accuracy(y, model(x))
    monkeypatch.setattr(model_evaluation, "EVAL_CHUNK_SIZE", 20)  # chunking must not change anything
    acc_chunked, cost_chunked = evaluate(x, y, model, loss, batch_size=10)
    assert (acc_chunked, cost_chunked) == pytest.approx((acc, cost), rel=1e-12)


@pytest.mark.parametrize("chunk_size", [1, 7, 20, 60, 1000])
def test_predict_in_chunks_gives_the_outputs_of_one_pass(chunk_size):
    x, _ = make_problem()
    model = make_model()
    np.testing.assert_allclose(predict(model, x, chunk_size), model(x), rtol=1e-14, atol=0)
    assert predict(model, x, chunk_size).shape == (60, 2)


def test_predict_leaves_the_mode_of_every_module_unchanged():
    x, _ = make_problem()
    np.random.seed(0)
    model = Sequential(Linear(4, 8), Dropout(0.5, rng=0), Linear(8, 2))
    model.eval()
    expected = model(x)
    np.testing.assert_array_equal(predict(model, x, 25), expected)  # eval mode: no dropout, deterministic
    assert not model.training and not any(module.training for module in model.modules)
    model.train()
    predict(model, x, 25)
    assert model.training and all(module.training for module in model.modules)
    assert model.modules[1].input_cache is not None  # it ran in training mode: dropout drew a mask


@pytest.mark.parametrize("chunk_size, error, match", [
    (0, ValueError, "chunk_size must be a positive int, got 0"),
    (-5, ValueError, "chunk_size must be a positive int, got -5"),
    (2.5, TypeError, "chunk_size must be a positive int, got 2.5"),
    (True, TypeError, "chunk_size must be a positive int, got True"),
    (None, TypeError, "chunk_size must be a positive int, got None"),
])
def test_predict_refuses_a_bad_chunk_size(chunk_size, error, match):
    x, _ = make_problem()
    with pytest.raises(error, match=match):
        predict(make_model(), x, chunk_size)


def test_predict_refuses_an_empty_input():
    with pytest.raises(ValueError, match=r"predict expects at least one sample in x, got shape \(0, 4\)"):
        predict(make_model(), np.zeros((0, 4)))


def test_evaluate_rejects_a_size_not_divisible_by_the_batch_size():
    x, y = make_problem()
    with pytest.raises(ValueError, match=r"number of samples in x_val \(60\) must be a multiple of batch_size \(7\)"):
        evaluate(x, y, make_model(), CrossEntropyLoss(), 7)


def test_train_prints_the_course_lines_and_returns_four_arrays(capsys):
    x, y = make_problem()
    model = make_model()
    results = train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1, momentum=0.9),
                    x[:40], y[:40], x[40:], y[40:], num_epochs=3, batch_size=10)
    assert len(results) == 4
    for array in results:
        assert isinstance(array, np.ndarray) and array.shape == (3,)
    train_costs, train_accs, eval_costs, eval_accs = results
    assert train_costs[-1] < train_costs[0]
    lines = capsys.readouterr().out.splitlines()
    assert lines[:5] == ["Epoch 1 / 3:", f"  Training Accuracy: {train_accs[0]:.4f}",
                         f"  Training Cost: {train_costs[0]:.4f}",
                         f"  Eval Accuracy: {eval_accs[0]:.4f}", "Epoch 2 / 3:"]
    assert len(lines) == 12
    assert not model.training  # left in eval mode after the last evaluation


class RecordingLinear(Linear):
    """A Linear layer that remembers every training batch it is given."""

    def __init__(self, *args):
        super().__init__(*args)
        self.batches = []

    def forward(self, x):
        if self.training:
            self.batches.append(np.array(x))
        return super().forward(x)


def test_train_shuffles_one_index_array_once_per_epoch_with_the_global_stream():
    """The course's order: idx = arange(N) once, then np.random.shuffle(idx) each epoch, nothing else drawn."""
    x, y = make_problem()
    layer = RecordingLinear(4, 2)
    np.random.seed(42)
    train(layer, CrossEntropyLoss(), SGD(layer.parameters(), lr=0.1), x[:40], y[:40], x[40:], y[40:], 2, 10)
    after_train = np.random.rand()
    np.random.seed(42)
    idx = np.arange(40)
    expected = []
    for _ in range(2):
        np.random.shuffle(idx)  # the previous epoch's order is shuffled again
        expected += [x[:40][idx][b:b + 10] for b in range(0, 40, 10)]
    assert np.random.rand() == after_train
    assert len(layer.batches) == len(expected)
    for seen, wanted in zip(layer.batches, expected):
        np.testing.assert_array_equal(seen, wanted)


def test_train_is_deterministic_under_a_seed():
    def run():
        x, y = make_problem()
        model = make_model()
        np.random.seed(7)
        return train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1, momentum=0.9),
                     x[:40], y[:40], x[40:], y[40:], 2, 10)

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_train_calls_the_scheduler_once_per_epoch():
    class CountingScheduler:
        calls = 0

        def step(self):
            self.calls += 1

    x, y = make_problem()
    model, scheduler = make_model(), CountingScheduler()
    train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), x[:40], y[:40], x[40:], y[40:], 3, 10,
          scheduler=scheduler)
    assert scheduler.calls == 3


def run_train(x_train, y_train, batch_size=10):
    x, y = make_problem()
    model = make_model()
    return train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), x_train, y_train,
                 x[40:], y[40:], 1, batch_size)


def test_train_rejects_x_and_y_of_different_lengths():
    x, y = make_problem()
    with pytest.raises(ValueError, match="x_train and y_train must have the same length, got 40 and 30"):
        run_train(x[:40], y[:30])


@pytest.mark.parametrize("batch_size", [0, -5])
def test_train_rejects_a_non_positive_batch_size(batch_size):
    x, y = make_problem()
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        run_train(x[:40], y[:40], batch_size)


def test_train_rejects_a_training_size_not_divisible_by_the_batch_size():
    x, y = make_problem()
    with pytest.raises(ValueError, match=r"samples in x_train \(40\) must be a multiple of batch_size \(15\)"):
        run_train(x[:40], y[:40], 15)


def test_train_checks_the_validation_set_before_training(capsys):
    x, y = make_problem()
    model = make_model()
    with pytest.raises(ValueError, match=r"number of samples in x_val \(15\) must be a multiple of batch_size \(10\)"):
        train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), x[:40], y[:40], x[40:55], y[40:55], 1, 10)
    assert capsys.readouterr().out == ""  # no epoch ran


def test_train_accepts_lists():
    x, y = make_problem()
    model = make_model()
    results = train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), x[:40].tolist(), y[:40].tolist(),
                    x[40:].tolist(), y[40:].tolist(), 1, 10)
    assert results[0].shape == (1,)


def test_train_calls_the_models_backward_and_fit_skips_the_input_gradient(monkeypatch):
    x, y = make_problem()
    calls = []
    model = make_model()
    original = Sequential.backward

    def spy(self, grad):
        calls.append("backward")
        return original(self, grad)

    monkeypatch.setattr(Sequential, "backward", spy)
    train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), x[:20], y[:20], x[20:30], y[20:30],
          num_epochs=1, batch_size=10)
    assert calls == ["backward", "backward"]  # the course's model.backward(...), once per batch
    calls.clear()
    fit(make_model(), 0.1, (x[:20], y[:20], x[20:30], y[20:30]), num_epochs=1, batch_size=10, progress=False)
    assert calls == []  # fit asks for backward_params: the input gradient is never computed


def run_fit(**kwargs):
    x, y = make_problem()
    model = make_model()
    np.random.seed(3)  # the shuffles' stream, as in the references below
    return model, fit(model, 0.1, (x[:40], y[:40], x[40:], y[40:]), num_epochs=2, batch_size=10, progress=False,
                      **kwargs)


def test_fit_by_default_trains_with_sgd_and_the_courses_momentum():
    x, y = make_problem()
    _, by_fit = run_fit()
    model = make_model()
    np.random.seed(3)
    by_train = train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1, momentum=0.9),
                     x[:40], y[:40], x[40:], y[40:], 2, 10, progress=False)
    for a, b in zip(by_fit, by_train):
        np.testing.assert_array_equal(a, b)


def test_fit_builds_the_given_optimizer_from_the_cast_parameters():
    built = []

    def adam(params, lr):
        built.append(Adam(params, lr=lr))
        return built[-1]

    x, y = make_problem()
    model, by_fit = run_fit(optimizer=adam, dtype=np.float32)
    assert len(built) == 1 and built[0].lr == 0.1 and built[0]._params == model.parameters()
    assert all(p.data.dtype == np.float32 and p.state_dict["s"].dtype == np.float32 for p in model.parameters())
    reference = make_model().to(np.float32)
    np.random.seed(3)
    by_train = train(reference, CrossEntropyLoss(), Adam(reference.parameters(), lr=0.1),
                     x[:40].astype(np.float32), y[:40].astype(np.float32), x[40:].astype(np.float32),
                     y[40:].astype(np.float32), 2, 10, progress=False)
    for a, b in zip(by_fit, by_train):
        np.testing.assert_array_equal(a, b)


def test_fit_refuses_an_optimizer_that_is_already_built():
    model = make_model()
    with pytest.raises(TypeError, match=r"optimizer must be a function optimizer\(params, lr\) that builds the "
                                        r"optimizer, got SGD"):
        run_fit(optimizer=SGD(model.parameters(), lr=0.1))
