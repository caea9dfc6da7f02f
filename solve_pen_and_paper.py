"""Print the sheet's pen-and-paper task solved step by step: 1-D cross-correlation, squared-error loss, SGD.

x = [1, 2, 3, 4], w = [2, 1, 3], b = 1, target y = [2, 4], learning rate 0.01, no kernel flip, stride 1,
no padding. (1) forward pass and loss; (2) backward pass dL/dw and dL/db; (3) one SGD step and a second
forward pass. All numbers come from lib.cross_correlation_1d.

Usage: python solve_pen_and_paper.py
"""
from typing import List, Sequence, Tuple

from lib.cross_correlation_1d import format_number, product_terms, solve_pen_and_paper


def _vector(values: Sequence[float]) -> str:
    return "[" + ", ".join(format_number(v) for v in values) + "]"


def _sum_of_products(pairs: List[Tuple[float, float]]) -> str:
    return " + ".join("{}*{}".format(format_number(a), format_number(c)) for a, c in pairs)


def main() -> None:
    """Solve the task with the library and print each step with its formula and numbers."""
    s = solve_pen_and_paper()
    terms = product_terms(s)
    print("Given: x = {}, w = {}, b = {}, y = {}, learning rate = {}".format(
        _vector(s.x), _vector(s.w), format_number(s.b), _vector(s.y), format_number(s.lr)))
    print("Cross-correlation (no flip, stride 1, no padding): output length I - K + 1 = {} - {} + 1 = {}".format(
        s.x.size, s.w.size, s.y_hat.size))

    print("\n(1) Forward pass: y_hat[i] = sum_k w[k] * x[i+k] + b")
    for i, pairs in enumerate(terms["y_hat"]):
        print("  y_hat[{}] = {} + {} = {}".format(i, _sum_of_products(pairs), format_number(s.b),
                                                 format_number(s.y_hat[i])))
    print("  Loss L = 1/2 * sum_i (y[i] - y_hat[i])^2 = 1/2 * ({}) = {}".format(
        " + ".join("({} - {})^2".format(format_number(t), format_number(p)) for t, p in zip(s.y, s.y_hat)),
        format_number(s.loss)))

    print("\n(2) Backward pass")
    print("  dL/dy_hat[i] = y_hat[i] - y[i] = {}".format(_vector(s.grad_y_hat)))
    print("  dL/dw[k] = sum_i dL/dy_hat[i] * x[i+k]")
    for k, pairs in enumerate(terms["grad_w"]):
        print("    dL/dw[{}] = {} = {}".format(k, _sum_of_products(pairs), format_number(s.grad_w[k])))
    print("  dL/db = sum_i dL/dy_hat[i] = {} = {}".format(
        " + ".join(format_number(g) for g in s.grad_y_hat), format_number(s.grad_b)))
    print("  (and dL/dx[j] = sum_i dL/dy_hat[i] * w[j-i] = {}, not needed for the update)".format(
        _vector(s.grad_x)))

    print("\n(3) One SGD step with learning rate {}: w <- w - lr * dL/dw, b <- b - lr * dL/db".format(
        format_number(s.lr)))
    for k in range(s.w.size):
        print("  w[{}] = {} - {} * {} = {}".format(k, format_number(s.w[k]), format_number(s.lr),
                                                 format_number(s.grad_w[k]), format_number(s.w_new[k])))
    print("  b = {} - {} * {} = {}".format(format_number(s.b), format_number(s.lr), format_number(s.grad_b),
                                           format_number(s.b_new)))
    print("  Second forward pass:")
    for i, pairs in enumerate(terms["y_hat_new"]):
        print("    y_hat[{}] = {} + {} = {}".format(i, _sum_of_products(pairs), format_number(s.b_new),
                                                   format_number(s.y_hat_new[i])))
    print("  Loss L = 1/2 * ({}) = {}   (was {})".format(
        " + ".join("({} - {})^2".format(format_number(t), format_number(p)) for t, p in zip(s.y, s.y_hat_new)),
        format_number(s.loss_new), format_number(s.loss)))


if __name__ == '__main__':
    main()
