"""Print the sheet's pen-and-paper task solved step by step: 1-D cross-correlation, squared-error loss, SGD.

x = [1, 2, 3, 4], w = [2, 1, 3], b = 1, target y = [2, 4], learning rate 0.01, no kernel flip, stride 1,
no padding. (1) forward pass and loss; (2) backward pass dL/dw and dL/db; (3) one SGD step and a second
forward pass. All numbers come from lib.cross_correlation_1d.

Usage: python solve_pen_and_paper.py
"""
import argparse
from typing import Sequence

from lib.cli.errors import run_script
from lib.cross_correlation_1d import FactorPairs, product_terms, solve_pen_and_paper
from lib.cross_correlation_1d import format_number as fmt


def _vector(values: Sequence[float]) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def _sum_of_products(pairs: FactorPairs) -> str:
    return " + ".join(f"{fmt(a)}*{fmt(c)}" for a, c in pairs)


def _squared_residuals(targets: Sequence[float], predictions: Sequence[float]) -> str:
    return " + ".join(f"({fmt(t)} - {fmt(p)})^2" for t, p in zip(targets, predictions))


def main() -> None:
    """Solve the task with the library and print each step with its formula and numbers."""
    s = solve_pen_and_paper()
    terms = product_terms(s)
    print(f"Given: x = {_vector(s.x)}, w = {_vector(s.w)}, b = {fmt(s.b)}, y = {_vector(s.y)}, "
          f"learning rate = {fmt(s.lr)}")
    print("Cross-correlation (no flip, stride 1, no padding): output length I - K + 1 = "
          f"{s.x.size} - {s.w.size} + 1 = {s.y_hat.size}")

    print("\n(1) Forward pass: y_hat[i] = sum_k w[k] * x[i+k] + b")
    for i, pairs in enumerate(terms["y_hat"]):
        print(f"  y_hat[{i}] = {_sum_of_products(pairs)} + {fmt(s.b)} = {fmt(s.y_hat[i])}")
    print(f"  Loss L = 1/2 * sum_i (y[i] - y_hat[i])^2 = 1/2 * ({_squared_residuals(s.y, s.y_hat)}) = {fmt(s.loss)}")

    print("\n(2) Backward pass")
    print(f"  dL/dy_hat[i] = y_hat[i] - y[i] = {_vector(s.grad_y_hat)}")
    print("  dL/dw[k] = sum_i dL/dy_hat[i] * x[i+k]")
    for k, pairs in enumerate(terms["grad_w"]):
        print(f"    dL/dw[{k}] = {_sum_of_products(pairs)} = {fmt(s.grad_w[k])}")
    print(f"  dL/db = sum_i dL/dy_hat[i] = {' + '.join(fmt(g) for g in s.grad_y_hat)} = {fmt(s.grad_b)}")
    print(f"  (and dL/dx[j] = sum_i dL/dy_hat[i] * w[j-i] = {_vector(s.grad_x)}, not needed for the update)")

    print(f"\n(3) One SGD step with learning rate {fmt(s.lr)}: w <- w - lr * dL/dw, b <- b - lr * dL/db")
    for k in range(s.w.size):
        print(f"  w[{k}] = {fmt(s.w[k])} - {fmt(s.lr)} * {fmt(s.grad_w[k])} = {fmt(s.w_new[k])}")
    print(f"  b = {fmt(s.b)} - {fmt(s.lr)} * {fmt(s.grad_b)} = {fmt(s.b_new)}")
    print("  Second forward pass:")
    for i, pairs in enumerate(terms["y_hat_new"]):
        print(f"    y_hat[{i}] = {_sum_of_products(pairs)} + {fmt(s.b_new)} = {fmt(s.y_hat_new[i])}")
    print(f"  Loss L = 1/2 * ({_squared_residuals(s.y, s.y_hat_new)}) = {fmt(s.loss_new)}   (was {fmt(s.loss)})")


if __name__ == '__main__':
    argparse.ArgumentParser(description=__doc__).parse_args()  # --help; rejects unknown options
    run_script(main)
