"""Specification of accuracy, evaluate and the course's training loop."""
import sys

import numpy as np
import pytest

from lib import model_evaluation
from lib.activations import ReLU
from lib.losses import CrossEntropyLoss
from lib.dropout import Dropout
from lib.model_evaluation import accuracy, evaluate, predict
from lib.model_training import fit, train
from lib.network import Linear, Sequential
from lib.network_base import Module, Parameter
from lib.optimizers import SGD, Adam
from lib.utilities import one_hot_encoding

from exact_messages import exactly
from recording import record


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


# --- the printed and returned numbers, computed independently -------------------------------------------

def fixed_classifier():
    """A linear model that separates make_problem's blobs well but not perfectly: score_1 - score_0 = sum(x) - 3."""
    layer = Linear(4, 2)
    layer.W.data = np.array([[0.0, 1.0]] * 4)
    layer.b.data = np.array([3.0, 0.0])
    return Sequential(layer)


def test_with_a_learning_rate_of_0_train_reports_the_fixed_models_cost_and_accuracy(capsys):
    """lr = 0 keeps the model fixed, so every number train prints can be computed without train.

    The training accuracy must compare the predictions with the labels in the same (shuffled) order:
    with the labels in their original order it would be about 0.5 instead of about 0.95.
    """
    x, y = make_problem(n=100, seed=4)
    x_train, y_train, x_val, y_val = x[:60], y[:60], x[60:], y[60:]
    model = fixed_classifier()
    np.random.seed(5)
    results = train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.0, momentum=0.9),
                    x_train, y_train, x_val, y_val, num_epochs=2, batch_size=10)
    scores_train, scores_val = x_train.sum(axis=1) - 3.0, x_val.sum(axis=1) - 3.0  # the model, by hand
    logits_train = np.stack([np.zeros(60), scores_train], axis=1)
    logits_val = np.stack([np.zeros(40), scores_val], axis=1)
    train_cost = np.mean(np.logaddexp(0.0, logits_train[:, 1]) - np.sum(y_train * logits_train, axis=1))
    train_accuracy = np.mean((scores_train > 0) == (y_train[:, 1] == 1))
    # the course's evaluation cost is the sum of the 4 batch means
    eval_cost = 4 * np.mean(np.logaddexp(0.0, logits_val[:, 1]) - np.sum(y_val * logits_val, axis=1))
    eval_accuracy = np.mean((scores_val > 0) == (y_val[:, 1] == 1))
    assert 0.8 < train_accuracy < 1.0 and 0.8 < eval_accuracy < 1.0  # a geometry where mistakes show
    expected = [[train_cost] * 2, [train_accuracy] * 2, [eval_cost] * 2, [eval_accuracy] * 2]
    for returned, wanted in zip(results, expected):
        np.testing.assert_allclose(returned, wanted, rtol=1e-12)
    lines = capsys.readouterr().out.splitlines()
    epoch = [f"  Training Accuracy: {train_accuracy:.4f}", f"  Training Cost: {train_cost:.4f}",
             f"  Eval Accuracy: {eval_accuracy:.4f}"]
    assert lines == ["Epoch 1 / 2:"] + epoch + ["Epoch 2 / 2:"] + epoch


def test_train_runs_the_batches_in_training_mode_and_evaluates_in_eval_mode():
    class ModeRecorder(Linear):
        modes = []

        def forward(self, x):
            self.modes.append((self.training, len(x)))
            return super().forward(x)

    x, y = make_problem()
    layer = ModeRecorder(4, 2)
    train(layer, CrossEntropyLoss(), SGD(layer.parameters(), lr=0.1), x[:20], y[:20], x[20:30], y[20:30], 2, 10)
    epoch = [(True, 10), (True, 10), (False, 10)]  # two training batches, then the evaluation of x_val
    assert ModeRecorder.modes == epoch * 2


def test_the_progress_line_shows_every_tenth_batch_and_the_last_then_is_wiped(capsys):
    x, y = make_problem(n=240, seed=6)
    model = fixed_classifier()
    np.random.seed(8)
    train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.0), x[:220], y[:220], x[220:], y[220:],
          num_epochs=1, batch_size=10, progress=True)
    np.random.seed(8)
    idx = np.arange(220)
    np.random.shuffle(idx)
    loss = CrossEntropyLoss()
    costs = [loss(model(x[idx][b:b + 10]), y[idx][b:b + 10]) for b in range(0, 220, 10)]
    expected = "".join(f"\r  batch {b}/22  loss {np.mean(costs[:b]):.4f}" for b in (10, 20, 22))
    assert capsys.readouterr().err == expected + "\r" + " " * 40 + "\r"


def test_no_progress_line_unless_asked_or_on_a_terminal(capsys):
    x, y = make_problem()
    for progress in (None, False):  # None: only when stderr is a terminal, which pytest's capture is not
        model = make_model()
        train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), x[:40], y[:40], x[40:], y[40:], 1, 10,
              progress=progress)
        assert capsys.readouterr().err == ""


def test_evaluate_runs_the_model_on_chunks_of_whole_batches(monkeypatch):
    calls, layer = [], Linear(4, 2)
    record(monkeypatch, layer, "forward", calls, keep=lambda arguments: len(arguments["x"]))
    x, y = make_problem(n=60)
    monkeypatch.setattr(model_evaluation, "EVAL_CHUNK_SIZE", 25)
    evaluate(x, y, layer, CrossEntropyLoss(), batch_size=10)
    assert calls == [20, 20, 20]  # 25 rounded down to whole batches of 10
    calls.clear()
    evaluate(x, y, layer, CrossEntropyLoss(), batch_size=30)
    assert calls == [30, 30]  # at least one batch per chunk


def test_accuracy_on_computes_in_the_dtype_of_the_parameters():
    x, y = make_problem(n=40, seed=4)
    model = fixed_classifier()
    expected = np.mean((x.sum(axis=1) > 3.0) == (y[:, 1] == 1))
    assert model_evaluation.accuracy_on(model, x, y, batch_size=10) == expected
    seen = []
    model.modules[0].forward = lambda batch: seen.append(batch.dtype) or Linear.forward(model.modules[0], batch)
    model.to(np.float32)
    assert model_evaluation.accuracy_on(model, x, y, batch_size=10) == expected
    assert seen and set(seen) == {np.dtype(np.float32)}


def test_accuracy_on_takes_the_dtype_of_the_first_parameter_and_float64_without_any():
    class Scale(Module):
        """One float32 parameter: scores = x * s."""

        def __init__(self):
            super().__init__()
            self.s = Parameter(np.ones(2, dtype=np.float32))
            self.seen = []

        def forward(self, x):
            self.seen.append(x.dtype)
            return x * self.s.data

        def parameters(self):
            return [self.s]

    x, y = np.array([[1.0, 0.0], [0.0, 1.0]]), np.eye(2)
    model = Scale()
    assert model_evaluation.accuracy_on(model, x, y, batch_size=1) == 1.0 and set(model.seen) == {np.dtype(np.float32)}
    assert model_evaluation.accuracy_on(ReLU(), x, y, batch_size=2) == 1.0  # no parameters: float64


def test_accuracy_refuses_mismatched_or_empty_inputs():
    with pytest.raises(ValueError, match=r"same samples, got shapes \(3, 2\) and \(2, 2\)"):
        accuracy(np.eye(2)[[0, 1, 1]], np.ones((2, 2)))
    with pytest.raises(ValueError, match="accuracy of an empty set of predictions is undefined"):
        accuracy(np.zeros((0, 2)), np.zeros((0, 2)))


def test_progress_none_shows_the_line_when_stderr_is_a_terminal(capsys, monkeypatch):
    x, y = make_problem()
    model = make_model()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), x[:40], y[:40], x[40:], y[40:], 1, 10)
    err = capsys.readouterr().err
    assert err.startswith("\r  batch 4/4  loss ") and err.endswith("\r" + " " * 40 + "\r")


def test_fit_passes_the_progress_choice_on(capsys):
    x, y = make_problem()
    fit(make_model(), 0.1, (x[:40], y[:40], x[40:], y[40:]), num_epochs=1, batch_size=10, progress=True)
    assert capsys.readouterr().err.startswith("\r  batch 4/4  loss ")


def test_fit_exact_message_for_data_of_another_length():
    with pytest.raises(ValueError, match=exactly("data must be a tuple (x_train, y_train, x_val, y_val)")):
        fit(make_model(), 0.1, make_problem()[:1] * 3)


@pytest.mark.parametrize("call, message", [
    (lambda x, y, m: train(m, CrossEntropyLoss(), SGD(m.parameters()), x, y, x, y, 0, 10),
     "num_epochs must be a positive int, got 0"),
    (lambda x, y, m: train(m, CrossEntropyLoss(), SGD(m.parameters()), x, y, x, y[:50], 1, 10),
     "x_val and y_val must have the same length, got 60 and 50"),
    (lambda x, y, m: evaluate(x, y[:50], m, CrossEntropyLoss(), 10),
     "x_val and y_val must have the same length, got 60 and 50"),
    (lambda x, y, m: evaluate(x, y, m, CrossEntropyLoss(), 0), "batch_size must be a positive int, got 0"),
    (lambda x, y, m: accuracy(y, np.ones((59, 2))),
     "labels and predictions must describe the same samples, got shapes (60, 2) and (59, 2)"),
    (lambda x, y, m: accuracy(y[:0], np.ones((0, 2))), "accuracy of an empty set of predictions is undefined"),
])
def test_exact_messages(call, message):
    x, y = make_problem()
    with pytest.raises(ValueError, match=exactly(message)):
        call(x, y, make_model())


def test_accuracy_over_the_last_axis_of_several():
    """(N, T, C) scores, e.g. T positions per sample: the argmax is taken over C only."""
    labels = np.eye(3)[[[0, 1], [2, 2]]]  # (2, 2, 3)
    scores = np.array([[[9.0, 0, 0], [9.0, 0, 0]], [[0, 0, 9.0], [0, 0, 9.0]]])
    assert accuracy(labels, scores) == 0.75
    assert accuracy(np.array([2]), np.array([[0.0, 1.0, 3.0]])) == 1.0  # a single sample


def test_predict_takes_one_dimensional_inputs_for_a_model_that_does():
    np.testing.assert_array_equal(predict(ReLU(), np.array([-1.0, 2.0, 3.0]), chunk_size=2), [0.0, 2.0, 3.0])
