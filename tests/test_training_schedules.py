"""Learning-rate schedules at their key steps, from the formulas written out by hand."""

import math

import pytest

from course_lib.training.schedules import (
    LRSchedule,
    constant_schedule,
    cosine_schedule,
    linear_schedule,
    wsd_schedule,
)

LR_MAX, LR_MIN, T_W, T_C = 1.0, 0.1, 7, 21


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (0, 0.0),  # warmup starts at zero
        (3, 3 / 7),  # linear: t/T_w · lr_max
        (7, 1.0),  # peak at the end of warmup
        (14, 0.55),  # half way through the cosine: (lr_max + lr_min) / 2
        (21, 0.1),  # lr_min at T_c
        (30, 0.1),  # and after it
    ],
)
def test_cosine_key_steps(step, expected):
    assert cosine_schedule(step, LR_MAX, LR_MIN, T_W, T_C) == pytest.approx(expected, abs=1e-12)


def test_cosine_quarter_point_and_monotone_decay():
    t = T_W + 3.5  # a quarter of the 14 cosine steps
    expected = LR_MIN + 0.5 * (1 + math.cos(math.pi / 4)) * (LR_MAX - LR_MIN)
    assert cosine_schedule(t, LR_MAX, LR_MIN, T_W, T_C) == pytest.approx(expected, abs=1e-12)
    values = [cosine_schedule(s, LR_MAX, LR_MIN, T_W, T_C) for s in range(T_W, T_C + 1)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_cosine_matches_cs336_reference_values():
    """Values of the CS336 assignment's test: lr_max 1, lr_min 0.1, T_w 7, T_c 21, steps 0..24."""
    expected = [
        0, 0.14285714285714285, 0.2857142857142857, 0.42857142857142855, 0.5714285714285714,
        0.7142857142857143, 0.8571428571428571, 1.0, 0.9887175604818206, 0.9554359905560885,
        0.9018241671106134, 0.8305704108364301, 0.7452476826029011, 0.6501344202803414,
        0.55, 0.44986557971965857, 0.3547523173970989, 0.26942958916356996,
        0.19817583288938662, 0.14456400944391146, 0.11128243951817937, 0.1, 0.1, 0.1, 0.1,
    ]  # fmt: skip
    got = [cosine_schedule(s, LR_MAX, LR_MIN, T_W, T_C) for s in range(25)]
    assert got == pytest.approx(expected, abs=1e-12)


def test_no_warmup_and_bad_arguments():
    assert cosine_schedule(0, 2.0, 0.0, 0, 10) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="warmup_steps"):
        cosine_schedule(0, 1.0, 0.1, 10, 5)


def test_constant_linear_and_wsd():
    assert constant_schedule(2, 1.0, warmup_steps=4) == pytest.approx(0.5)
    assert constant_schedule(400, 1.0, warmup_steps=4) == 1.0
    assert linear_schedule(5, 1.0, 0.0, 0, 10) == pytest.approx(0.5)
    assert linear_schedule(12, 1.0, 0.2, 2, 10) == pytest.approx(0.2)
    assert linear_schedule(6, 1.0, 0.2, 2, 10) == pytest.approx(0.6)
    # WSD, 100 steps, decay over the last 20: warmup, flat until 80, linear to lr_min at 100
    assert wsd_schedule(5, 1.0, 0.0, 10, 100, 0.2) == pytest.approx(0.5)
    assert wsd_schedule(50, 1.0, 0.0, 10, 100, 0.2) == 1.0
    assert wsd_schedule(80, 1.0, 0.0, 10, 100, 0.2) == 1.0
    assert wsd_schedule(90, 1.0, 0.0, 10, 100, 0.2) == pytest.approx(0.5)
    assert wsd_schedule(100, 1.0, 0.0, 10, 100, 0.2) == 0.0


def test_lr_schedule_object_and_state():
    s = LRSchedule("cosine", lr_max=1.0, lr_min=0.1, warmup_steps=7, total_steps=21)
    assert s(14) == pytest.approx(0.55)
    other = LRSchedule("constant", lr_max=5.0)
    other.load_state_dict(s.state_dict())
    assert other(14) == pytest.approx(0.55) and other == s
    for name in ("constant", "linear", "wsd"):
        assert LRSchedule(name, 1.0, 0.1, 7, 21)(7) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown schedule"):
        LRSchedule("cosine_restarts")
    with pytest.raises(ValueError, match="lr_min"):
        LRSchedule(lr_max=0.1, lr_min=1.0)
