"""Input gradients against finite differences and Captum; the M_c mask."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from captum.attr import Saliency

import rrr


@pytest.fixture
def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return rrr.mlp(6, 3, hidden=(8, 5)).double()


@pytest.fixture
def x() -> torch.Tensor:
    return torch.randn(5, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))


def _scalar(model, x, kind, target=None):
    return rrr.explanations.explained_output(F.log_softmax(model(x), -1), kind, target)


@pytest.mark.parametrize("kind", ["sum_log_prob", "max_prob", "max_log_prob", "log_prob", "prob", "loss"])
def test_input_gradients_match_finite_differences(model, x, kind):
    target = torch.tensor([0, 1, 2, 1, 0])
    grads = rrr.input_gradients(model, x, kind, target=target, y=target)
    step = 1e-6
    numeric = torch.zeros_like(x)
    for n in range(x.shape[0]):
        for d in range(x.shape[1]):
            e = torch.zeros_like(x)
            e[n, d] = step
            numeric[n, d] = (_scalar(model, x + e, kind, target) - _scalar(model, x - e, kind, target)) / (2 * step)
    torch.testing.assert_close(grads, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("kind,wrap", [("log_prob", F.log_softmax), ("prob", F.softmax)])
def test_input_gradients_match_captum_saliency(model, x, kind, wrap):
    forward = lambda inp: wrap(model(inp), dim=-1)  # noqa: E731
    for cls in range(3):
        expected = Saliency(forward).attribute(x.clone().requires_grad_(), target=cls, abs=False)
        torch.testing.assert_close(rrr.input_gradients(model, x, kind, target=cls), expected)


def test_input_gradients_any_shape_and_module():
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(2 * 4 * 4, 4))
    x = torch.randn(3, 1, 6, 6)
    grads = rrr.input_gradients(conv, x, "max_prob")
    assert grads.shape == x.shape and grads.abs().sum() > 0


def test_create_graph_makes_gradients_differentiable(model, x):
    g = rrr.input_gradients(model, x, create_graph=True)
    (second,) = torch.autograd.grad(g.pow(2).sum(), next(model.parameters()))
    assert second.abs().sum() > 0


def test_sum_of_probability_gradients_vanishes(model, x):
    # Σ_k p̂_k ≡ 1, so its input gradient is 0: the reason the paper penalizes log-probabilities.
    total = sum(rrr.input_gradients(model, x, "prob", target=k) for k in range(3))
    torch.testing.assert_close(total, torch.zeros_like(x), atol=1e-12, rtol=0)


def test_missing_target_is_a_clear_error(model, x):
    with pytest.raises(ValueError, match="target"):
        rrr.input_gradients(model, x, "log_prob")
    with pytest.raises(ValueError, match="Unknown gradient kind"):
        rrr.input_gradients(model, x, "softmax")  # type: ignore[arg-type]


def test_largest_gradient_mask_per_example():
    g = torch.tensor([[1.0, -0.7, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0], [-2.0, 1.34, 1.33, 2.0]])
    mask = rrr.largest_gradient_mask(g, 0.67)
    expected = torch.tensor([[True, True, False, False], [False] * 4, [True, True, False, True]])
    assert torch.equal(mask, expected)


def test_largest_gradient_mask_over_image_dims():
    g = torch.zeros(2, 3, 3)
    g[0, 1, 1], g[1, 0, 2], g[1, 2, 2] = 5.0, -1.0, 0.9
    mask = rrr.largest_gradient_mask(g, 0.67, feature_dims=2)
    assert mask[0].sum() == 1 and mask[0, 1, 1]
    assert mask[1].sum() == 2


def test_bad_arguments_are_named(model, x):
    with pytest.raises(TypeError, match="x is torch.float32 but the model's parameters are torch.float64"):
        rrr.input_gradients(model, x.float())
    with pytest.raises(ValueError, match="x holds no examples"):
        rrr.input_gradients(model, x[:0])
    with pytest.raises(TypeError, match="target must hold integer class indices .*got torch.float32"):
        rrr.input_gradients(model, x, "prob", target=torch.zeros(len(x)))
    with pytest.raises(ValueError, match="target must hold class indices ≥ 0, got -1"):
        rrr.input_gradients(model, x, "prob", target=-1)
    with pytest.raises(ValueError, match="y must hold class indices ≥ 0, got -100"):
        rrr.input_gradients(model, x, "loss", y=torch.full((len(x),), -100))
    with pytest.raises(ValueError, match=r"target \(or y\) must be one class index or one per example, shape \(5,\)"):
        rrr.input_gradients(model, x, "prob", target=torch.zeros(len(x) + 1, dtype=torch.long))


def test_explanations_in_float64_keep_the_digits_a_confident_float32_gradient_loses():
    """``dtype=torch.float64`` evaluates a copy of the model in float64 (as the authors measured explanations): the
    same gradient as the model converted by hand, the model itself left in float32."""
    model = rrr.mlp(6, 2, seed=0)
    x = torch.linspace(-300, 300, 60).reshape(10, 6)  # raw, large features: confident predictions
    wide = rrr.input_gradients(model, x, "max_prob", dtype=torch.float64)
    by_hand = rrr.input_gradients(copy.deepcopy(model).double(), x.double(), "max_prob")
    assert wide.dtype == torch.float64 and torch.equal(wide, by_hand)
    assert next(model.parameters()).dtype == torch.float32
