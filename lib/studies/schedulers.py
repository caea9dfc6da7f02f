"""Learning-rate schedules that change the rate before every optimizer step, not once per epoch.

`train` calls `scheduler.step()` once per epoch; a run of two or three epochs needs a finer schedule.
`ScheduledOptimizer` wraps an optimizer and sets its `lr` before each of its steps, so it goes to
`train` in the optimizer's place and the loop stays the course's. The schedule here is
"stable, then linear decay": the peak rate for the first part of the run, then a straight line down
to zero at the last step. PyTorch's equivalent is `torch.optim.lr_scheduler.LambdaLR` with
`stable_then_linear_decay` as the factor and `scheduler.step()` after every `optimizer.step()`.
"""
from __future__ import annotations

from lib.checks import check_positive_int, check_real


def stable_then_linear_decay(step: int, total_steps: int, decay_fraction: float) -> float:
    """Factor of the peak learning rate at optimizer step `step` (0-based) of a run of `total_steps`.

    The factor is 1 for the first `(1 - decay_fraction) * total_steps` steps, then falls linearly and
    reaches 1 / decay_steps at the last step (0 would waste it), where decay_steps is the number of
    decaying steps. `decay_fraction=1` is a plain linear decay over the whole run.

    Args:
        step: the step about to be taken, 0 <= step < total_steps (later steps get the last factor).
        total_steps: optimizer steps in the whole run, > 0.
        decay_fraction: the share of the run spent decaying, in (0, 1].

    Returns:
        The factor, in (0, 1].
    """
    decay_steps = max(1, round(decay_fraction * total_steps))
    remaining = total_steps - min(step, total_steps - 1)  # steps left including this one: total .. 1
    return min(1.0, remaining / decay_steps)


class ScheduledOptimizer:
    """An optimizer whose learning rate follows `stable_then_linear_decay` step by step.

    Pass it to `train` instead of the optimizer: `zero_grad()` is the optimizer's, and `step()` sets
    `optimizer.lr = peak_lr * factor` for the step about to be taken, then steps.

    Attributes:
        optimizer: the wrapped optimizer (SGD, Adam, anything with `lr`, `zero_grad()` and `step()`).
        peak_lr: the learning rate of the stable part.
        total_steps: optimizer steps in the whole run.
        decay_fraction: the share of the run spent decaying.
        steps_taken: optimizer steps done so far.
    """

    def __init__(self, optimizer, total_steps: int, decay_fraction: float = 1.0):
        """Wrap `optimizer`; its current `lr` becomes the peak rate.

        Raises:
            TypeError: if total_steps is not an int or decay_fraction not a real number.
            ValueError: if total_steps <= 0 or decay_fraction is outside (0, 1].
        """
        self.optimizer = optimizer
        self.peak_lr = check_real(optimizer.lr, "optimizer.lr", minimum=0.0)
        self.total_steps = check_positive_int(total_steps, "total_steps")
        self.decay_fraction = check_real(decay_fraction, "decay_fraction", minimum=0.0, maximum=1.0)
        if self.decay_fraction == 0:
            raise ValueError("decay_fraction must be > 0 (a part of the run must decay), got 0.0")
        self.steps_taken = 0

    def lr_at(self, step: int) -> float:
        """The learning rate of optimizer step `step` (0-based)."""
        return self.peak_lr * stable_then_linear_decay(step, self.total_steps, self.decay_fraction)

    def zero_grad(self) -> None:
        """Reset the gradients (the wrapped optimizer's `zero_grad`)."""
        self.optimizer.zero_grad()

    def step(self) -> None:
        """Set the learning rate of this step, take it, and count it."""
        self.optimizer.lr = self.lr_at(self.steps_taken)
        self.optimizer.step()
        self.steps_taken += 1

    def __repr__(self) -> str:
        return (f"ScheduledOptimizer({type(self.optimizer).__name__}, peak_lr={self.peak_lr}, "
                f"total_steps={self.total_steps}, decay_fraction={self.decay_fraction})")
