"""The PyTorch side of the benchmarks: one epoch and one evaluation, as `lib.model_training.train` runs them.

Used by `bench_experiment.py` and `bench_strong.py`, in a process that has torch; this module itself
imports torch only when a function runs, so the numpy-only benchmarks can import their files.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np


def torch_epoch(model, loss_fn, optimizer, x_train_t, y_train_t, idx: np.ndarray, batch: int,
                scheduler=None, memory_format=None) -> None:
    """Shuffle `idx` in place with `np.random.shuffle` (the draw `train` makes), then train on every batch.

    Args:
        model, loss_fn, optimizer: the torch module, loss and optimizer.
        x_train_t: (N, C, H, W) tensor of images; y_train_t: (N,) tensor of class indices.
        idx: (N,) index array, shuffled in place.
        batch: batch size (it divides N).
        scheduler: a learning-rate scheduler stepped after every optimizer step, or None.
        memory_format: torch memory format of the shuffled images (None: contiguous).
    """
    import torch
    np.random.shuffle(idx)
    order = torch.from_numpy(idx)
    xs, ys = x_train_t[order], y_train_t[order]
    if memory_format is not None:
        xs = xs.contiguous(memory_format=memory_format)
    model.train()
    for b in range(0, len(xs), batch):
        optimizer.zero_grad()
        loss_fn(model(xs[b:b + batch]), ys[b:b + batch]).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


def torch_evaluate(model, loss_fn, x_val_t, y_val_t, batch: int, chunk: int) -> Tuple[float, float]:
    """(accuracy, cost) as `lib.model_evaluation.evaluate` computes them: forward in chunks, cost summed per batch.

    Args:
        x_val_t: (M, C, H, W) tensor of images; y_val_t: (M,) tensor of class indices.
        batch: the batch size the cost is summed over; chunk: images per forward pass.
    """
    import torch
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x_val_t[s:s + chunk]) for s in range(0, len(x_val_t), chunk)])  # (M, 10)
        cost = sum(float(loss_fn(logits[s:s + batch], y_val_t[s:s + batch])) for s in range(0, len(logits), batch))
        accuracy = float((logits.argmax(dim=1) == y_val_t).double().mean())
    return accuracy, cost
