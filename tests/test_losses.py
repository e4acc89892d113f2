"""The RRR objective: closed form for logistic regression, zero masks, reductions."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F

import rrr
from rrr.models import MLP


@pytest.fixture
def logreg() -> torch.nn.Linear:
    torch.manual_seed(0)
    return torch.nn.Linear(4, 2).double()


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(7, 4, dtype=torch.float64, generator=g)
    y = torch.randint(0, 2, (7,), generator=g)
    mask = torch.rand(7, 4, generator=g) > 0.5
    return x, y, mask


def test_penalty_matches_logistic_regression_closed_form(logreg, data):
    # For softmax regression with two classes, ∂/∂x Σ_k log p̂_k = (p̂1 − p̂0)(W0 − W1).
    x, y, mask = data
    p = torch.softmax(logreg(x), -1)
    w = logreg.weight
    grad = (p[:, 1] - p[:, 0])[:, None] * (w[0] - w[1])[None, :]
    expected = (mask * grad).pow(2).sum()
    terms = rrr.loss_terms(logreg, x, y, mask, l1=1.0)
    torch.testing.assert_close(terms.right_reasons, expected)
    ce = F.cross_entropy(logreg(x), y, reduction="sum")
    l2 = sum(q.pow(2).sum() for q in logreg.parameters())
    total = rrr.rrr_loss(logreg, x, y, mask, l1=10.0, l2=1e-2)
    torch.testing.assert_close(total, ce + 10.0 * expected + 1e-2 * l2)


def test_float_mask_weights_annotations(logreg, data):
    x, y, mask = data
    weights = mask.double() * 0.5
    full = rrr.loss_terms(logreg, x, y, mask, l1=1.0).right_reasons
    half = rrr.loss_terms(logreg, x, y, weights, l1=1.0).right_reasons
    torch.testing.assert_close(half, 0.25 * full)


@pytest.mark.parametrize("mask", [None, "zeros"])
def test_zero_mask_is_plain_cross_entropy(logreg, data, mask):
    x, y, _ = data
    m = torch.zeros_like(x, dtype=torch.bool) if mask == "zeros" else None
    loss = rrr.rrr_loss(logreg, x, y, m, l1=1e6)
    torch.testing.assert_close(loss, F.cross_entropy(logreg(x), y, reduction="sum"))


def test_mean_reduction_normalizes_by_examples_and_annotations(logreg, data):
    x, y, mask = data
    s = rrr.loss_terms(logreg, x, y, mask, l1=1.0, reduction="sum")
    m = rrr.loss_terms(logreg, x, y, mask, l1=1.0, reduction="mean")
    torch.testing.assert_close(m.right_answers, s.right_answers / len(x))
    torch.testing.assert_close(m.right_reasons, s.right_reasons / mask.sum())


def test_loss_backpropagates_through_the_penalty(logreg, data):
    x, y, mask = data
    rrr.rrr_loss(logreg, x, y, mask, l1=1.0).backward()
    with_penalty = logreg.weight.grad.clone()
    logreg.zero_grad()
    rrr.rrr_loss(logreg, x, y, None).backward()
    assert not torch.allclose(with_penalty, logreg.weight.grad)


def test_stacked_terms_are_per_model(data):
    x, y, mask = data
    stack = rrr.mlp(4, 2, hidden=(5,), n_models=3, seed=0).double()
    terms = rrr.loss_terms(stack, x.expand(3, *x.shape), y.expand(3, 7), mask, l1=torch.tensor([0.0, 1.0, 2.0]))
    assert terms.right_answers.shape == (3,) and terms.right_reasons.shape == (3,)
    for s in range(3):
        single = rrr.loss_terms(rrr.unstack(stack, s).double(), x, y, mask, l1=1.0)
        torch.testing.assert_close(terms.right_reasons[s], single.right_reasons)


# --- argument checks: messages name the argument, what was expected and what came -----------------
@pytest.mark.parametrize("shape", [(7, 1), (4,), (7, 3), (1, 7, 4)])
def test_a_mask_of_the_wrong_shape_is_named(logreg, data, shape):
    x, y, _ = data
    with pytest.raises(ValueError, match=r"mask must have the shape of x, \(7, 4\), got " + re.escape(str(shape))):
        rrr.loss_terms(logreg, x, y, torch.ones(shape, dtype=torch.bool), l1=1.0)


def test_a_shared_mask_is_accepted_for_a_stack(data):
    x, y, mask = data
    stack = rrr.mlp(4, 2, hidden=(5,), n_models=3, seed=0).double()
    rrr.loss_terms(stack, x.expand(3, *x.shape), y.expand(3, 7), mask, l1=1.0)  # (N, D) for (S, N, D)
    with pytest.raises(ValueError, match=r"mask must have shape \(7, 4\) \(shared by the stacked models\) or "
                       r"\(3, 7, 4\) \(one per model\), got \(4,\)"):
        rrr.loss_terms(stack, x.expand(3, *x.shape), y.expand(3, 7), mask[0], l1=1.0)


def test_a_dtype_mismatch_names_both_dtypes(logreg, data):
    x, y, mask = data
    with pytest.raises(TypeError, match="x is torch.float32 but the model's parameters are torch.float64"):
        rrr.rrr_loss(logreg, x.float(), y, mask, l1=1.0)
    integer_pixels = rrr.loss_terms(logreg, (x > 0).to(torch.uint8), y, mask, l1=1.0)  # converted, not an error
    assert integer_pixels.total.dtype == torch.float64


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_an_empty_batch_is_an_error_not_nan(logreg, data, reduction):
    x, y, mask = data
    with pytest.raises(ValueError, match=r"x holds no examples \(shape \(0, 4\)\)"):
        rrr.loss_terms(logreg, x[:0], y[:0], mask[:0], l1=1.0, reduction=reduction)


@pytest.mark.parametrize(
    "labels, error, message",
    [
        (lambda y: torch.where(torch.arange(7) == 2, -100, y), ValueError, "y must hold class indices ≥ 0, got -100"),
        (lambda y: y.double() + 0.7, TypeError, "y must hold integer class indices .*got torch.float64"),
        (lambda y: y[:6], ValueError, r"y must have one label per example of x.*\(6,\) for x of shape \(7, 4\)"),
        (lambda y: y[:, None], ValueError, r"y must have one label per example of x.*shape \(7, 1\)"),
    ],
)
def test_bad_labels_are_named(logreg, data, labels, error, message):
    x, y, mask = data
    with pytest.raises(error, match=message):
        rrr.rrr_loss(logreg, x, labels(y), mask, l1=1.0)


@pytest.mark.parametrize("l1, message", [(-1.0, "l1 must be finite and ≥ 0, got -1.0"), (float("nan"), "l1 must")])
def test_a_negative_or_nan_lambda_is_named(logreg, data, l1, message):
    x, y, mask = data
    with pytest.raises(ValueError, match=message):
        rrr.loss_terms(logreg, x, y, mask, l1=l1)
    with pytest.raises(ValueError, match="l2 must be finite and ≥ 0"):
        rrr.loss_terms(logreg, x, y, mask, l1=1.0, l2=-1e-4)


def test_other_bad_arguments_are_named(logreg, data):
    x, y, mask = data
    with pytest.raises(ValueError, match="reduction must be one of"):
        rrr.loss_terms(logreg, x, y, mask, reduction="average")
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got ndarray"):
        rrr.loss_terms(logreg, x.numpy(), y, mask)
    with pytest.raises(ValueError, match=r"l1 must be a number or one value per model, shape \(\); got \(3,\)"):
        rrr.loss_terms(logreg, x, y, mask, l1=torch.ones(3))


@pytest.mark.parametrize("weights", ["boolean", "float"])
def test_the_fused_penalty_is_autograds_composite_bit_for_bit(weights):
    """MaskedSquares does the same float operations as (grads · A)² summed, forward and backward."""
    from rrr.fused import MaskedSquares

    g = torch.Generator().manual_seed(0)
    grads = torch.randn(3, 16, 20, generator=g, requires_grad=True)
    mask = torch.rand(3, 16, 20, generator=g) > 0.7
    if weights == "float":
        mask = mask * torch.rand(3, 16, 20, generator=g)
    upstream = torch.randn(3, generator=g)
    fused = MaskedSquares.apply(grads, mask, 1)
    (fused_grad,) = torch.autograd.grad(fused, grads, upstream)
    composite = (grads * mask.to(grads.dtype)).pow(2).reshape(3, -1).sum(dim=-1)
    (composite_grad,) = torch.autograd.grad(composite, grads, upstream)
    assert torch.equal(fused, composite)
    assert torch.equal(fused_grad, composite_grad)


def test_second_derivatives_of_the_loss_equal_autograds_composite(logreg, data):
    """A Hessian-vector product through the fused penalty (create_graph) equals the plain expression's."""
    x, y, mask = data
    v = torch.randn_like(logreg.weight)

    def hvp(right_reasons) -> torch.Tensor:
        (g,) = torch.autograd.grad(right_reasons(), logreg.weight, create_graph=True)
        (h,) = torch.autograd.grad((g * v).sum(), logreg.weight)
        return h

    def composite() -> torch.Tensor:
        xr = x.clone().requires_grad_(True)
        (gx,) = torch.autograd.grad(F.log_softmax(logreg(xr), -1).sum(), xr, create_graph=True)
        return (gx * mask).pow(2).sum()

    torch.testing.assert_close(hvp(lambda: rrr.loss_terms(logreg, x, y, mask, l1=1.0).right_reasons), hvp(composite))


def _written_out(model, x, y, mask, l1):
    """The objective with the whole input gradient, as the paper writes it (float64)."""
    xr = x.clone().requires_grad_(True)
    log_probs = F.log_softmax(model(xr), -1)
    (gx,) = torch.autograd.grad(log_probs.sum(), xr, create_graph=True)
    right_reasons = (gx * mask).pow(2).reshape(*y.shape[:-1], -1).sum(-1)
    nll = F.nll_loss(log_probs.flatten(0, -2), y.flatten(), reduction="none").reshape(y.shape).sum(-1)
    return right_reasons, (nll + l1 * right_reasons).sum()


@pytest.mark.parametrize("models", ["one", "stack, shared mask", "stack, broadcast mask"])
@pytest.mark.parametrize("weights", ["boolean", "float"])
def test_an_mlp_annotated_on_few_inputs_gets_the_whole_gradients_values(models, weights):
    """A mask on few input features (an image's corner) takes the MLP's first-layer path: the right-reasons term and
    every parameter's gradient equal the whole input gradient's, to float64 round-off."""
    from rrr.fused import annotated_columns

    g = torch.Generator().manual_seed(0)
    stacked = models != "one"
    model = (rrr.mlp_stack(64, 4, seeds=[0, 1, 2]) if stacked else rrr.mlp(64, 4, seed=0)).double()
    x = torch.randn(*((3,) if stacked else ()), 20, 8, 8, dtype=torch.float64, generator=g)
    y = torch.randint(0, 4, x.shape[:-2], generator=g)
    mask = torch.zeros(20, 8, 8, dtype=torch.bool)
    mask[..., :2, :3] = torch.rand(20, 2, 3, generator=g) > 0.3
    if weights == "float":
        mask = mask * torch.rand(mask.shape, dtype=torch.float64, generator=g)
    if models == "stack, broadcast mask":
        mask = mask.expand(3, *mask.shape)
    assert len(annotated_columns(mask, 2)) == 6  # the corner's 6 of 64 features: the first-layer path
    terms = rrr.loss_terms(model, x, y, mask, l1=10.0, fused=True)
    right_reasons, total = _written_out(model, x, y, mask, 10.0)
    torch.testing.assert_close(terms.right_reasons, right_reasons, rtol=1e-12, atol=0)
    params = list(model.parameters())
    for fast, whole in zip(torch.autograd.grad(terms.total, params), torch.autograd.grad(total, params), strict=True):
        torch.testing.assert_close(fast, whole, rtol=1e-12, atol=1e-12)


def test_the_annotated_columns_are_taken_only_where_they_pay():
    """The input gradient at the annotated columns alone only where they are at most half the inputs; the first-layer
    form only for a model that exposes its first layer."""
    from rrr.fused import FirstLayerModel, annotated_columns

    mask = torch.zeros(5, 8, dtype=torch.bool)
    mask[:, :4] = True
    assert annotated_columns(mask, 1).tolist() == [0, 1, 2, 3]
    mask[0, 4] = True  # five of eight features
    assert annotated_columns(mask, 1) is None
    shared = torch.zeros(5, 8, dtype=torch.bool)
    shared[:, 0] = True
    assert annotated_columns(shared.expand(2, 5, 8), 1).tolist() == [0]  # broadcast, as rrr.fit passes it
    stack = rrr.mlp_stack(8, 2, seeds=[0, 1])
    assert isinstance(rrr.mlp(8, 2), FirstLayerModel) and isinstance(stack, FirstLayerModel)
    assert not isinstance(torch.nn.Linear(8, 2), FirstLayerModel)  # autograd's input gradient


@pytest.mark.parametrize(("per_model", "columns"), [(False, True), (True, False)])
def test_fit_takes_the_annotated_columns_only_for_one_mask_shared_by_the_stack(per_model, columns):
    """rrr.fit says whether the stack shares its mask (``shared_mask``); a mask per model keeps the whole gradient,
    so that a model's numbers do not depend on which models share its job, even when the masks are equal."""
    from unittest import mock

    import rrr.fused

    x = torch.randint(0, 256, (12, 8)).float()
    y = torch.arange(12) % 2
    mask = torch.zeros(12, 8, dtype=torch.bool)
    mask[:, 0] = True
    stack = rrr.mlp_stack(8, 2, seeds=[0, 1])
    calls = mock.Mock(wraps=rrr.fused.annotated_columns)
    with mock.patch.object(rrr.fused, "annotated_columns", calls):
        rrr.fit(stack, x, y, mask.expand(2, 12, 8).clone() if per_model else mask, l1=1.0, epochs=1)
    assert calls.called == columns


def test_annotated_entries_reads_a_boolean_mask_without_a_copy():
    """rrr.fit and the mean reduction find annotated entries without `mask != 0`, which copies a boolean mask to
    int64 first (3.4 GB for Decoy MNIST's stacked find-another-explanation masks)."""
    from rrr.losses import annotated_entries

    mask = torch.rand(3, 5, 7, generator=torch.Generator().manual_seed(0)) < 0.3
    assert annotated_entries(mask) is mask
    weighted = mask.to(torch.float32) * torch.linspace(-1, 1, 7)  # a weighted mask
    assert torch.equal(annotated_entries(weighted), weighted != 0)


@pytest.mark.parametrize("models", ["one", "stack, a mask per model", "stack, shared mask"])
@pytest.mark.parametrize("weights", ["boolean", "float"])
@pytest.mark.parametrize("l2", [0.0, 1e-4])
def test_an_mlps_first_layer_path_is_autograds_input_gradient_bit_for_bit(models, weights, l2):
    """FirstLayerSquares (∂/∂h · Wᵀ, masked in place; ``fused=True``) gives the right-reasons term and every
    parameter's gradient of autograd's whole input gradient (the paper's form, ``fused=False``), bit for bit, in
    float32 as training runs. One
    exception: a single (unstacked) MLP with λ2 > 0, whose first weight's gradient gets its three terms (right
    answers, right reasons, λ2) summed in another order, which moves it by float round-off (a few 1e-8 of its largest
    entry)."""
    g = torch.Generator().manual_seed(0)
    stacked = models != "one"
    x = torch.randint(0, 256, (*((3,) if stacked else ()), 40, 8, 8), generator=g).float()
    y = torch.randint(0, 4, x.shape[:-2], generator=g)
    mask = torch.rand((3, 40, 8, 8) if models == "stack, a mask per model" else (40, 8, 8), generator=g) < 0.6
    if weights == "float":
        mask = mask * torch.rand(mask.shape, generator=g)
    results = []
    for fused in (True, False):
        model = rrr.mlp_stack(64, 4, seeds=[0, 1, 2]) if stacked else rrr.mlp(64, 4, seed=0)
        terms = rrr.loss_terms(model, x, y, mask, l1=1000.0, l2=l2, fused=fused)
        results.append((terms.right_reasons, *torch.autograd.grad(terms.total, list(model.parameters()))))
    for i, (fast, autograds) in enumerate(zip(*results, strict=True)):
        if not stacked and l2 and i == 1:  # the first layer's weight
            torch.testing.assert_close(fast, autograds, rtol=0, atol=1e-6 * float(autograds.abs().max()))
        else:
            assert torch.equal(fast, autograds)


def test_the_first_layer_path_has_second_derivatives():
    """gradgradcheck through FirstLayerSquares (create_graph: a Hessian-vector product of the loss), in float64."""
    from rrr.fused import FirstLayerSquares

    g = torch.Generator().manual_seed(0)
    grad_hidden = torch.randn(2, 5, 3, dtype=torch.float64, generator=g, requires_grad=True)
    weight = torch.randn(2, 6, 3, dtype=torch.float64, generator=g, requires_grad=True)
    for mask in (torch.rand(2, 5, 6, generator=g) > 0.5, torch.rand(2, 5, 6, dtype=torch.float64, generator=g)):
        def f(h, w, mask=mask):
            return FirstLayerSquares.apply(h, w, mask, 1)
        assert torch.autograd.gradcheck(f, (grad_hidden, weight))
        assert torch.autograd.gradgradcheck(f, (grad_hidden, weight))
