"""Faults a library user meets: arguments that PyTorch would reject naming no argument (or accept in silence), and a
mask that training would ignore because every λ1 is 0."""

from __future__ import annotations

import warnings

import pytest
import torch

import rrr
from rrr.pipeline.replicates import train_replicates


@pytest.fixture
def data() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return rrr.mlp(6, 3, hidden=(4,), seed=0), torch.randn(8, 6), torch.randint(0, 3, (8,))


@pytest.mark.parametrize("cutoff", [2.0, -0.1, float("nan")])
def test_a_cutoff_outside_0_1_is_refused_not_an_all_false_mask(cutoff: float):
    with pytest.raises(ValueError, match=r"cutoff must be a number in \[0, 1\]"):
        rrr.largest_gradient_mask(torch.randn(4, 5), cutoff)
    assert rrr.largest_gradient_mask(torch.randn(4, 5), 1.0).sum(dim=1).tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize("call", ["fit", "rrr_loss", "loss_terms"])
def test_a_wrong_feature_count_or_label_names_the_argument(data, call: str):
    model, x, y = data
    run = {
        "fit": lambda x, y: rrr.fit(model, x, y, epochs=1),
        "rrr_loss": lambda x, y: rrr.rrr_loss(model, x, y),
        "loss_terms": lambda x, y: rrr.loss_terms(model, x, y),
    }[call]
    with pytest.raises(ValueError, match=r"x has 5 features per example \(shape \(8, 5\)\) but the model takes 6"):
        run(torch.randn(8, 5), y)
    with pytest.raises(ValueError, match=r"y must hold class indices in \[0, 3\) for a model with 3 outputs, got 3"):
        run(x, torch.full((8,), 3))
    stack = rrr.mlp_stack(6, 3, [0, 1], hidden=(4,))
    with pytest.raises(ValueError, match="x has 5 features per example"):
        rrr.fit(stack, torch.randn(8, 5), y, epochs=1)


def test_no_model_or_a_mask_of_text_names_the_argument(data):
    model, x, y = data
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got NoneType"):
        rrr.rrr_loss(None, x, y)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got NoneType"):
        rrr.fit(None, x, y, epochs=1)
    with pytest.raises(TypeError, match="mask must be a boolean or real tensor .* got str"):
        rrr.fit(model, x, y, "mask.npy", l1=1.0, epochs=1)
    with pytest.raises(TypeError, match="mask must be a torch.Tensor, got str"):
        rrr.rrr_loss(model, x, y, "mask.npy", l1=1.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_nan_or_inf_input_is_refused_not_a_nan_loss(data, bad: float):
    model, x, y = data
    x = x.clone()
    x[3, 2] = bad
    with pytest.raises(ValueError, match=r"x holds 1 NaN or infinite value"):
        rrr.rrr_loss(model, x, y)
    with pytest.raises(ValueError, match=r"x holds 1 NaN or infinite value"):
        rrr.loss_terms(model, x, y)
    with pytest.raises(ValueError, match=r"x holds 1 NaN or infinite value"):
        rrr.fit(model, x, y, epochs=1)


def test_a_mask_with_every_l1_zero_warns_once_naming_l1(data):
    model, x, y = data
    mask = torch.ones_like(x, dtype=torch.bool)
    calls = {
        "rrr.fit": lambda: rrr.fit(model, x, y, mask, epochs=1),
        "rrr.loss_terms": lambda: rrr.rrr_loss(model, x, y, mask, l1=0.0),
        "rrr.find_another_explanation": lambda: rrr.find_another_explanation(
            lambda i: rrr.mlp(6, 3, hidden=(4,), seed=i), x, y, rounds=3, l1=0.0, epochs=1
        ),
        "train_replicates": lambda: train_replicates(x, y, mask, seeds=[0, 1], l1=[0.0, 0.0], train={"epochs": 1}),
    }
    for where, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        ignored = [w for w in caught if "every l1 is 0" in str(w.message)]
        assert len(ignored) == 1 and issubclass(ignored[0].category, UserWarning), (where, caught)
        assert where in str(ignored[0].message) and "pass l1=" in str(ignored[0].message)
        assert ignored[0].filename == __file__  # it points at the caller, not into rrr


def test_no_warning_without_a_mask_or_with_some_l1(data):
    model, x, y = data
    mask = torch.ones_like(x, dtype=torch.bool)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rrr.fit(model, x, y, epochs=1)
        rrr.fit(model, x, y, mask, l1=1.0, epochs=1)
        rrr.fit(rrr.mlp_stack(6, 3, [0, 1], hidden=(4,)), x, y, mask, l1=[0.0, 1.0], epochs=1)
        rrr.rrr_loss(model, x, y, mask, l1=1.0)
        train_replicates(x, y, None, seeds=[0], l1=0.0, train={"epochs": 1})
        rrr.find_another_explanation(lambda i: rrr.mlp(6, 3, hidden=(4,), seed=i), x, y, rounds=2, l1=1.0, epochs=1)


def test_a_mask_ignored_by_train_replicates_trains_the_same_numbers(data):
    _, x, y = data
    mask = torch.ones_like(x, dtype=torch.bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_mask = train_replicates(x, y, mask, seeds=[0], l1=0.0, train={"epochs": 2})[0]
    without = train_replicates(x, y, None, seeds=[0], l1=0.0, train={"epochs": 2})[0]
    assert all(torch.equal(a, b) for a, b in zip(with_mask.parameters(), without.parameters()))
