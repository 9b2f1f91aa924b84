"""Lesson 05's checked exercises: overfitting and regularisation. A run is a history: one row
per epoch (the index), the ``COLUMNS`` of the lesson's ``fit`` (``running_accuracy`` averaged in
train mode while the weights moved; the others measured in eval mode after the epoch)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from ..data.normalization import compute_normalization
from .answers import as_integer, as_number, describe, run_code, small_digits
from .framework import Off, exercise
from .questionnaire import HINT, Question, judge, solution_of

COLUMNS = ("train_loss", "val_loss", "running_accuracy", "train_accuracy", "val_accuracy")


def _history(value: Any, name: str = "history") -> pd.DataFrame:
    """A run's history as the lesson's ``fit`` returns it: a frame with an epoch per row."""
    if not isinstance(value, pd.DataFrame) or value.empty:
        raise Off(f"the lesson's {name} is not a run's history; got {describe(value)}.")
    missing = [column for column in COLUMNS if column not in value.columns]
    if missing:
        raise Off(f"the {name} has no column {', '.join(missing)}: pass the table fit returned.")
    return value


def _letter(answer: Any, letters: str) -> str:
    """One of ``letters``, as a learner may write it ("B", " (b)")."""
    letter = answer.strip().strip("()").lower() if isinstance(answer, str) else None
    if letter is None or len(letter) != 1 or letter not in letters:
        quoted = ", ".join(f'"{choice}"' for choice in letters)
        raise Off(f"answer with one letter, {quoted}; got {describe(answer)}.")
    return letter


def _measured_network() -> tuple[nn.Module, list, Any, float, float, float]:
    """A network with dropout in train mode, a hook noting each call's mode, gradients and batch;
    300 digits in batches of 64 (the last 44); eval mode's loss, batch-mean loss and accuracy."""
    data = small_digits()
    loader = DataLoader(data.as_torch_dataset(compute_normalization(data.images)), batch_size=64)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        network = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 10), nn.Dropout(0.5), nn.LogSoftmax(dim=1)
        ).eval()
    with torch.no_grad():
        outputs = [(network(images), labels) for images, labels in loader]
    log_probs, labels = torch.cat([o for o, _ in outputs]), torch.cat([y for _, y in outputs])
    loss = F.nll_loss(log_probs, labels).item()
    batch_mean = sum(F.nll_loss(o, y).item() for o, y in outputs) / len(outputs)
    accuracy = (log_probs.argmax(dim=1) == labels).float().mean().item()
    calls: list[tuple[bool, bool, int]] = []
    network.register_forward_pre_hook(
        lambda module, inputs: calls.append(
            (module.training, torch.is_grad_enabled(), len(inputs[0]))
        )
    )
    return network.train(), calls, loader, loss, batch_mean, accuracy


@exercise(
    "05.1",
    "measure(model, loader) -> (loss, accuracy): the mean loss per image and the share right, "
    "in eval mode and without gradients",
    hint="model.eval() first (dropout off), then the loop inside `with torch.no_grad():`. Add up "
    "F.nll_loss(log_probs, labels, reduction='sum') and the right predictions (argmax) over every "
    "batch, and divide both by the number of images, not of batches (the last batch is smaller).",
    solution="""
        import torch
        import torch.nn.functional as F

        def measure(model, loader):
            model.eval()
            device = next(model.parameters()).device
            summed_loss, right, count = 0.0, 0, 0
            with torch.no_grad():  # nothing here needs a gradient
                for batch, targets in loader:
                    outputs, targets = model(batch.to(device)), targets.to(device)
                    summed_loss += F.nll_loss(outputs, targets, reduction="sum").item()
                    right += (outputs.argmax(dim=1) == targets).sum().item()
                    count += len(targets)
            return summed_loss / count, right / count

        answer = measure
    """,
)
def _measure(answer: Any, context: dict[str, Any]) -> str:
    network, calls, loader, loss, batch_mean, accuracy = _measured_network()
    result = run_code(answer, network, loader)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Off(f"return two numbers, (loss, accuracy); got {describe(result)}.")
    got_loss, got_accuracy = (as_number(value, "a loss or an accuracy") for value in result)
    if not calls:
        raise Off("your function never called the model.")
    if any(training for training, _, _ in calls):
        raise Off("the model ran in train mode: call model.eval() first, or dropout stays on.")
    if any(gradients for _, gradients, _ in calls):
        raise Off("gradients were on: run the loop inside `with torch.no_grad():`.")
    if sum(count for _, _, count in calls) != len(loader.dataset):
        raise Off(f"the model should see each of the {len(loader.dataset)} images once.")
    if math.isclose(got_loss, accuracy, abs_tol=1e-6) and math.isclose(got_accuracy, loss):
        raise Off("the loss comes first: return (loss, accuracy).")
    if 1 < got_accuracy <= 100:
        raise Off(f"{got_accuracy:g} looks like a percentage: return a share in [0, 1].")
    if abs(got_accuracy - accuracy) > 0.5 / len(loader.dataset):
        raise Off(f"the accuracy should be {accuracy:.4f}, yours is {got_accuracy:.4f}.")
    if math.isclose(got_loss, batch_mean, rel_tol=1e-5) and not math.isclose(got_loss, loss):
        raise Off(
            "that loss is the mean of the batches' means, and the last batch is smaller: sum "
            "the loss over the images (reduction='sum') and divide by their number."
        )
    if not math.isclose(got_loss, loss, rel_tol=1e-4):
        raise Off(f"the loss should be {loss:.4f}, yours is {got_loss:.4f}.")
    return (
        f"loss {got_loss:.4f}, accuracy {got_accuracy:.2%} (an untrained network on 300 small "
        "digits), in eval mode, with no gradients, averaged over the images."
    )


def _predicted(answer: Any, letters: str, truth: str, seen: str) -> None:
    """Raise ``Off`` saying what the run did unless the learner predicted it."""
    letter = _letter(answer, letters)
    if letter != truth:
        raise Off(f"you predicted ({letter}); this run says ({truth}): {seen}.")


@exercise(
    "05.2",
    "predict, then run: over the epochs on 1,000 images, the validation loss (a) keeps falling "
    "to the last epoch (b) falls to a lowest point, then rises while the training loss keeps "
    "falling (c) rises from the first epoch",
    hint="The network can learn its 1,000 training images by heart: what happens to its answers "
    "on other images once it does? Compare the two loss columns of the table, epoch by epoch.",
    solution="""
        lowest = history["val_loss"].idxmin()  # the epoch of the lowest validation loss
        answer = "a" if lowest == history.index[-1] else "c" if lowest == history.index[0] else "b"
    """,
    needs=("history",),
)
def _predict_overfitting(answer: Any, context: dict[str, Any]) -> str:
    history = _history(context["history"])
    val, train = history["val_loss"], history["train_loss"]
    lowest, last = val.idxmin(), history.index[-1]
    measured = "a" if lowest == last else "c" if lowest == history.index[0] else "b"
    seen = (
        f"the validation loss was lowest at epoch {lowest} ({val[lowest]:.3f}) and {val[last]:.3f} "
        f"at epoch {last}, while the training loss fell to {train[last]:.4f}"
    )
    _predicted(answer, "abc", measured, seen)
    if measured == "b":
        return f"{seen}: the network learns its training images by heart, overfitting."
    return f"{seen}: this run did not overfit yet (in smoke mode it trains only a few epochs)."


@exercise(
    "05.3",
    "predict, then run: at the dropout run's last epoch, which is higher: (a) the running "
    "training accuracy, averaged in train mode during the epoch, (b) the training accuracy "
    "measured in eval mode after it, (c) they are equal",
    hint="During the epoch, dropout switches off half of the units at every step and the "
    "weights are still moving; afterwards, in eval mode, the finished weights answer with "
    "every unit on.",
    solution="""
        last = history.iloc[-1]  # the dropout run's last epoch
        gap = last["train_accuracy"] - last["running_accuracy"]
        answer = "b" if gap > 5e-4 else "a" if gap < -5e-4 else "c"
    """,
    needs=("history",),
)
def _predict_running(answer: Any, context: dict[str, Any]) -> str:
    last = _history(context["history"]).iloc[-1]
    running, measured = float(last["running_accuracy"]), float(last["train_accuracy"])
    gap = measured - running
    truth = "b" if gap > 5e-4 else "a" if gap < -5e-4 else "c"
    seen = f"running {running:.2%}, measured in eval mode {measured:.2%}"
    _predicted(answer, "abc", truth, seen)
    why = "dropout on and older weights for the running one; the finished model in eval mode"
    return f"{seen}: {why}." if truth == "b" else f"{seen}: this time they agree (a short run)."


def _penalty_model() -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        return nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3))


def _penalty_steps(model: nn.Module, penalty: Any, decay: float, steps: int = 3) -> None:
    """``steps`` of SGD with momentum on a fixed batch: decay in the optimizer, or a penalty."""
    inputs, labels = torch.linspace(-1, 1, 48).reshape(8, 6), torch.arange(8) % 3
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=decay if penalty is None else 0.0
    )
    for _ in range(steps):
        loss = F.cross_entropy(model(inputs), labels)
        if penalty is not None:
            loss = loss + run_code(penalty, model, decay)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _penalty_mistakes(model: nn.Module, decay: float) -> tuple[float, dict[str, float]]:
    """The right penalty, and what the usual mistakes add up to, each with its feedback."""
    with torch.no_grad():
        squares = float(sum(p.pow(2).sum() for p in model.parameters()))
        weights = float(sum(p.pow(2).sum() for n, p in model.named_parameters() if "bias" not in n))
        absolute = float(sum(p.abs().sum() for p in model.parameters()))
    return decay / 2 * squares, {
        "twice too large: (λ/2)·w² has the gradient λ·w; λ·w² has 2λ·w.": decay * squares,
        "the biases are missing: SGD's weight_decay decays every parameter.": decay / 2 * weights,
        "that is an L1 penalty (absolute values): weight decay squares them.": decay * absolute,
    }


@exercise(
    "05.4",
    "l2_penalty(model, weight_decay): (weight_decay / 2) times the sum of the squares of every "
    "parameter, a tensor the loss can be differentiated through",
    hint="Add up p.pow(2).sum() over model.parameters() (weights and biases: SGD's weight_decay "
    "decays them all), times weight_decay / 2: the gradient of (λ/2)·w² is λ·w, which is what "
    "weight_decay adds to each gradient. No .item() or .detach(): the gradient must flow.",
    solution="""
        def l2_penalty(model, weight_decay):
            squares = sum((parameter**2).sum() for parameter in model.parameters())
            return weight_decay / 2 * squares

        answer = l2_penalty
    """,
)
def _l2_penalty(answer: Any, context: dict[str, Any]) -> str:
    decay, model = 0.05, _penalty_model()
    value = run_code(answer, model, decay)
    if not isinstance(value, torch.Tensor) or value.numel() != 1:
        raise Off(f"return one number as a tensor (the penalty); got {describe(value)}.")
    if not value.requires_grad:
        raise Off(
            "the penalty carries no gradient: compute it from the parameters themselves, "
            "without .item(), .detach() or torch.no_grad()."
        )
    right, mistakes = _penalty_mistakes(model, decay)
    got = float(value.detach())
    if not math.isclose(got, right, rel_tol=1e-4):
        for feedback, mistaken in mistakes.items():
            if math.isclose(got, mistaken, rel_tol=1e-4):
                raise Off(feedback)
        raise Off(f"for this model the penalty is {right:.5f}; yours is {got:.5f}.")
    decayed, penalised = _penalty_model(), _penalty_model()
    _penalty_steps(decayed, None, decay)
    _penalty_steps(penalised, answer, decay)
    for mine, theirs in zip(penalised.parameters(), decayed.parameters(), strict=True):
        if not torch.allclose(mine, theirs, atol=1e-6):
            raise Off("the value is right but three steps with it differ from weight_decay's.")
    return (
        f"{got:.5f}, and three SGD steps with it added to the loss end where "
        "weight_decay=0.05 ends: weight decay is this penalty's gradient, λ·w."
    )


@exercise(
    "05.5",
    "predict, then run: at the last epoch, the augmented run's training loss (measured in eval "
    "mode on the training images as they are, unaugmented) is (a) higher (b) lower than the "
    "run without augmentation",
    hint="Without augmentation the network sees the same 1,000 images every epoch; with it, "
    "every epoch a new rotated and shifted version of each. Which can it learn by heart?",
    solution="""
        answer = "a" if augmented["train_loss"].iloc[-1] > history["train_loss"].iloc[-1] else "b"
    """,
    needs=("history", "augmented"),
)
def _predict_augmentation(answer: Any, context: dict[str, Any]) -> str:
    plain = _history(context["history"])["train_loss"].iloc[-1]
    moved = _history(context["augmented"], "augmented run")["train_loss"].iloc[-1]
    truth = "a" if moved > plain else "b"
    seen = f"training loss {moved:.4f} with augmentation, {plain:.4f} without"
    _predicted(answer, "ab", truth, seen)
    if truth == "a":
        return (
            f"{seen}: the network never sees the same image twice, so it cannot memorise "
            "them as well; its validation loss gains from what it learns instead."
        )
    return f"{seen}: not this time (in smoke mode the runs are short)."


def early_stopping(val_losses: list[float], patience: int) -> tuple[int, int]:
    """(the epoch it stops at, the epoch it keeps), epochs counted from 1; a loss counts as
    better only if strictly lower. A run that never waits ``patience`` epochs ends at its last."""
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, best_epoch
    return len(val_losses), best_epoch


@exercise(
    "05.6",
    "early stopping with patience 3 on the run without regularisation: (the epoch it stops at, "
    "the epoch whose weights it keeps), read from that run's validation losses",
    hint="Go down the val_loss column. Each epoch with a loss lower than every one before it is "
    "a new best: keep its epoch and reset the count. Any other epoch adds 1 to the count; when "
    "the count reaches 3, that epoch is where it stops.",
    solution="""
        best, kept, waited = float("inf"), 0, 0
        for epoch, loss in history["val_loss"].items():
            if loss < best:
                best, kept, waited = loss, epoch, 0
            else:
                waited += 1
                if waited == 3:
                    break
        answer = (epoch, kept)  # stopped, kept
    """,
    needs=("history",),
)
def _early_stopping(answer: Any, context: dict[str, Any]) -> str:
    history, patience = _history(context["history"]), 3
    epochs = [int(epoch) for epoch in history.index]
    stop_at, keep = early_stopping(list(history["val_loss"]), patience)
    stop_at, keep = epochs[stop_at - 1], epochs[keep - 1]
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Off(f"answer two epochs, (stopped, kept), such as (9, 6); got {describe(answer)}.")
    stopped, kept = (as_integer(epoch, "an epoch number") for epoch in answer)
    lowest = int(history["val_loss"].idxmin())
    if (stopped, kept) == (keep, stop_at) and keep != stop_at:
        raise Off("the other way round: the epoch it stops at first, then the one it keeps.")
    if kept != keep:
        if kept == lowest and lowest > stop_at:
            raise Off(
                f"epoch {lowest} has the lowest loss of the whole run, but early stopping has "
                f"stopped before it: it only knows the epochs up to where it stops."
            )
        raise Off(f"epoch {kept} is not the best it has seen when it stops: look for new lows.")
    if stopped != stop_at:
        if stop_at == epochs[-1] and stopped > stop_at:
            raise Off(f"the run has {len(epochs)} epochs; it never waited 3, so it ends there.")
        raise Off(
            f"it keeps epoch {kept}, right; it stops after {patience} epochs in a row without "
            "a better loss: count them."
        )
    if keep == lowest:
        return f"it stops at epoch {stop_at} with epoch {keep}'s weights, the run's lowest loss."
    return (
        f"it stops at epoch {stop_at} and keeps epoch {keep}; the run's lowest loss came later, "
        f"at epoch {lowest}: patience 3 was too short for this noisy curve."
    )


QUESTIONS = {
    1: Question(
        "b",
        "a training loss near 0 with a rising validation loss is the mark of overfitting.",
        "the training loss went to almost 0, so the network fits its images; what does a "
        "rising validation loss say about other images?",
    ),
    2: Question(
        "a",
        "state_dict() hands out the live weight tensors, which the next steps change in place.",
        "what does model.state_dict() hold: copies of the weights, or the weights themselves, "
        "which optimizer.step() changes in place?",
    ),
    3: Question(
        "a",
        "only the images trained on are augmented; the others are measured as they are.",
        "validation and test images measure the model on digits as people write them: would "
        "a random rotation of them help the model, or blur the measurement?",
    ),
    4: Question(
        "b",
        "weight_decay=λ adds λ·w to each gradient, the gradient of (λ/2)·w².",
        "exercise 05.4: the penalty (λ/2)·w² has the gradient λ·w, proportional to the weight.",
    ),
    5: Question(
        "a",
        "overconfident wrong answers cost more and more, while the right ones gain little.",
        "the accuracy counts right answers; the loss also weighs how sure each answer is. "
        "What happens to the loss of a wrong answer given ever more confidently?",
    ),
}


@exercise(
    "05.7",
    "five questions on overfitting, early stopping, augmentation and weight decay, answered as "
    "a dict {1: ..., 5: ...}",
    hint=HINT,
    solution=solution_of(QUESTIONS),
)
def _questionnaire(answer: Any, context: dict[str, Any]) -> str:
    return judge(answer, QUESTIONS)
