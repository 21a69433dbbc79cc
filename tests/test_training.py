"""lab/model/training.py: gradient descent on one neuron, checked against the calculus done in plain floats."""

from __future__ import annotations

import math

import pytest

from lab.model import training
from lab.model.training import DEAD, FIT, TOO_LARGE, Setup, Slip


def act(activation: str, n: float) -> float:
    return math.tanh(n) if activation == "tanh" else max(n, 0.0)


def act_slope(activation: str, n: float) -> float:
    return 1 - math.tanh(n) ** 2 if activation == "tanh" else float(n > 0)


def loss_and_grads(setup: Setup, w: float, b: float) -> tuple[float, float, float]:
    """The squared error and its partial derivatives by the chain rule, written out by hand in floats."""
    loss = dw = db = 0.0
    for x, y in setup.points:
        n = w * x + b
        o = act(setup.activation, n)
        loss += (o - y) ** 2
        dn = 2 * (o - y) * act_slope(setup.activation, n)
        dw += dn * x
        db += dn
    return loss, dw, db


def hand_training(setup: Setup, zero: bool = True) -> list[float]:
    w, b, gw, gb, losses = setup.w, setup.b, 0.0, 0.0, []
    for _ in range(setup.steps):
        loss, dw, db = loss_and_grads(setup, w, b)
        gw, gb = (dw, db) if zero else (gw + dw, gb + db)
        losses.append(loss)
        w, b = w - setup.lr * gw, b - setup.lr * gb
    return losses


def test_one_step_by_hand_matches_the_chain_rule_and_a_finite_difference():
    step = training.first_step(FIT)
    loss, dw, db = loss_and_grads(FIT, FIT.w, FIT.b)
    h = 1e-6
    fd = (loss_and_grads(FIT, FIT.w + h, FIT.b)[0] - loss_and_grads(FIT, FIT.w - h, FIT.b)[0]) / (2 * h)
    assert step["loss"] == pytest.approx(loss)
    assert step["w.grad"] == pytest.approx(dw) == pytest.approx(fd, rel=1e-6)
    assert step["b.grad"] == pytest.approx(db)
    assert step["w"] == pytest.approx(FIT.w - FIT.lr * dw)
    assert step["b"] == pytest.approx(FIT.b - FIT.lr * db)


def test_the_lessons_loop_is_gradient_descent_and_the_loss_falls():
    run = training.train(FIT)
    assert run.losses == pytest.approx(hand_training(FIT))
    assert training.falls(run) and run.losses[-1] < 0.01 < 1 < run.losses[0]


def test_grads_not_reset_add_every_step_to_the_last_ones():
    run = training.train(FIT, Slip.NO_ZERO)
    assert run.losses == pytest.approx(hand_training(FIT, zero=False))
    assert run.losses[3] > run.losses[2]  # the stale gradients push past the minimum, and on


def test_a_dead_relu_gets_exactly_zero_and_its_loss_never_moves():
    assert all(DEAD.w * x + DEAD.b < 0 for x, _ in DEAD.points)
    run = training.train(DEAD)
    assert training.stuck(run)
    assert set(run.losses) == {sum(y * y for _, y in DEAD.points)}  # o = 0 at every point
    assert set(run.w) == {DEAD.w}


def test_a_learning_rate_too_large_makes_the_loss_blow_up():
    run = training.train(TOO_LARGE)
    assert run.losses[:3] == pytest.approx(hand_training(Setup(**{**TOO_LARGE.__dict__, "steps": 3})))
    assert training.blows_up(run) and not training.blows_up(training.train(FIT))


@pytest.mark.parametrize(
    ("losses", "expected"),
    [
        (hand_training(FIT), (True, None)),
        (hand_training(FIT, zero=False), (False, Slip.NO_ZERO)),
        ([1.0] * FIT.steps, (False, None)),
    ],
    ids=["the lesson's loop", "grads never reset", "something else"],
)
def test_a_learners_losses_are_told_which_loop_made_them(losses, expected):
    assert training.diagnose(losses, FIT) == expected


def test_a_step_up_the_gradient_is_named():
    uphill = training.train(FIT, Slip.UPHILL).losses
    assert uphill[1] > uphill[0]
    assert training.diagnose(uphill, FIT) == (False, Slip.UPHILL)
