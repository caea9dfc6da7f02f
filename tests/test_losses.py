"""Specification of the cross-entropy loss."""
import numpy as np
import pytest

from lib.activations import Softmax
from lib.losses import CrossEntropyLoss
from lib.utilities import one_hot_encoding

from exact_messages import exactly


def naive_cross_entropy(logits, labels):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.sum(np.log(p[labels == 1])) / logits.shape[0]


def test_matches_the_course_formula():
    rng = np.random.RandomState(0)
    logits, labels = rng.randn(6, 4), one_hot_encoding(rng.randint(0, 4, 6), 4)
    loss = CrossEntropyLoss()
    assert loss(logits, labels) == pytest.approx(naive_cross_entropy(logits, labels), rel=1e-12)
    p, cached_labels = loss.input_cache
    np.testing.assert_allclose(p.sum(axis=1), np.ones(6))
    assert cached_labels is labels
    np.testing.assert_allclose(loss.backward(), (p - labels) / 6)


def test_stays_finite_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    labels = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    loss = CrossEntropyLoss()
    value = loss(logits, labels)
    assert np.isfinite(value)
    assert value == pytest.approx((2e4 + 0.0) / 2)
    assert np.all(np.isfinite(loss.backward()))


def test_gradient_check():
    rng = np.random.RandomState(1)
    CrossEntropyLoss().check_gradients((rng.randn(5, 3), one_hot_encoding(rng.randint(0, 3, 5), 3)))


def test_accepts_integer_class_indices():
    rng = np.random.RandomState(2)
    logits, classes = rng.randn(4, 3), np.array([0, 2, 1, 2])
    assert CrossEntropyLoss()(logits, classes) == pytest.approx(
        CrossEntropyLoss()(logits, one_hot_encoding(classes, 3)))


def test_rejects_labels_of_a_different_shape():
    with pytest.raises(ValueError, match=r"labels must be one-hot of the same shape as preds \(4, 3\)"):
        CrossEntropyLoss()(np.zeros((4, 3)), np.zeros((4, 2)))


def test_rejects_out_of_range_class_indices():
    with pytest.raises(ValueError, match=r"integer labels must lie in \[0, 3\)"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))


def test_a_minus_infinite_logit_of_a_wrong_class_gives_a_finite_loss():
    loss = CrossEntropyLoss()(np.array([[0.0, -np.inf]]), np.array([[1.0, 0.0]]))
    assert loss == 0.0


def test_rejects_an_empty_batch():
    with pytest.raises(ValueError, match=r"preds must be 2-D logits of shape \(N, C\) with N >= 1, got shape \(0, 3\)"):
        CrossEntropyLoss()(np.zeros((0, 3)), np.zeros((0, 3)))


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="CrossEntropyLoss.backward called before forward"):
        CrossEntropyLoss().backward()


def test_each_sample_is_shifted_by_its_own_maximum():
    """Samples of very different scales: one maximum over the batch would underflow the second to log(0)."""
    logits = np.array([[1000.0, 1001.0], [0.0, 1.0]])
    labels = np.array([[1.0, 0.0], [1.0, 0.0]])
    loss = CrossEntropyLoss()
    assert loss(logits, labels) == pytest.approx(np.log1p(np.e), rel=1e-14)
    np.testing.assert_allclose(loss.backward(), (Softmax()(logits) - labels) / 2, rtol=1e-14)


def test_the_loss_has_the_courses_softmax_and_repr():
    loss = CrossEntropyLoss()
    assert isinstance(loss.softmax, Softmax) and repr(loss) == "CrossEntropyLoss()"


def test_one_dimensional_float_labels_are_not_class_indices():
    with pytest.raises(ValueError, match=exactly("labels must be one-hot of the same shape as preds (2, 3) (or integer "
                                                 "class indices of shape (2,)), got shape (2,)")):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_exact_messages():
    with pytest.raises(RuntimeError, match=exactly("CrossEntropyLoss.backward called before forward")):
        CrossEntropyLoss().backward()
    with pytest.raises(ValueError, match=exactly("integer labels must lie in [0, 3), got values in [-1, 2]")):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([2, -1]))
