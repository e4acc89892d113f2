"""Training: determinism, stacked == independent, divergence errors, FAE, λ1 balancing, I/O."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import rrr


@pytest.fixture
def toy():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(120, 6, generator=g) * 50
    x[:, 1] = x[:, 0] + torch.randn(120, generator=g)  # a redundant copy: two reasons to be right
    y = (x[:, 0] > 0).long()
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[:, 0] = True
    return x, y, mask


def _params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_paper_mlp_architecture_and_init():
    model = rrr.mlp(784, 10, seed=0)
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(50, 784), (50,), (30, 50), (30,), (10, 30), (10,)]
    biases = torch.cat([model.net[i].bias for i in (0, 2, 4)])
    assert 0.07 < biases.std().item() < 0.13  # biases drawn from N(0, 0.1²), not zero


def test_fit_is_deterministic_for_a_seed(toy):
    x, y, mask = toy
    a, ha = rrr.fit(rrr.mlp(6, 2, seed=1), x, y, mask, l1=10.0, epochs=3, batch_size=32, shuffle=True, seed=5)
    b, hb = rrr.fit(rrr.mlp(6, 2, seed=1), x, y, mask, l1=10.0, epochs=3, batch_size=32, shuffle=True, seed=5)
    assert torch.equal(_params(a), _params(b))
    assert ha.right_answers == hb.right_answers


def test_fit_learns_and_penalty_moves_the_reason(toy):
    x, y, mask = toy
    plain, h = rrr.fit(rrr.mlp(6, 2, seed=0), x, y, epochs=40, batch_size=32)
    assert h.running_accuracy[-1] > 0.9
    assert h.right_reasons == [0.0] * 40
    penalized, hp = rrr.fit(rrr.mlp(6, 2, seed=0), x, y, mask, l1=1e3, epochs=40, batch_size=32)
    g0 = rrr.input_gradients(plain, x).abs().mean(0)
    g1 = rrr.input_gradients(penalized, x).abs().mean(0)
    assert g1[0] / g1[1] < 0.1 * (g0[0] / g0[1])
    assert hp.running_accuracy[-1] > 0.9


def test_stacked_training_equals_independent_training(toy):
    x, y, mask = toy
    l1 = [0.0, 10.0, 100.0]
    stack, hs = rrr.fit(rrr.mlp(6, 2, n_models=3, seed=2).double(), x.double(), y, mask, l1=l1, epochs=2, batch_size=50)
    for s, lam in enumerate(l1):
        single = rrr.unstack(rrr.mlp(6, 2, n_models=3, seed=2), s).double()
        single, h = rrr.fit(single, x.double(), y, mask, l1=lam, epochs=2, batch_size=50)
        torch.testing.assert_close(_params(single), _params(rrr.unstack(stack, s).double()))
        np.testing.assert_allclose(h.right_answers, [ra[s] for ra in hs.right_answers], rtol=1e-9)


def test_running_accuracy_counts_each_minibatch_before_its_step(toy):
    x, y, mask = toy
    model = rrr.mlp_stack(6, 2, seeds=[0, 1], hidden=(5,))
    # lr = 0: every step sees the starting weights, so the running accuracy is the model's accuracy on x
    _, h = rrr.fit(model, x, y, mask, l1=[1.0, 10.0], epochs=2, batch_size=32, lr=0.0)
    np.testing.assert_array_equal(h.running_accuracy, [rrr.accuracy(model, x, y)] * 2)
    assert 0.2 < np.min(h.running_accuracy) < 0.8  # not a trivial 0 or 1
    _, h = rrr.fit(rrr.mlp(6, 2, seed=0), x, y, epochs=30, batch_size=32)
    assert h.running_accuracy[0] < h.running_accuracy[-1]  # it moves as the model learns


def test_divergence_is_a_clear_error(toy):
    x, y, mask = toy
    model = rrr.mlp(6, 2, seed=0)
    with torch.no_grad():
        model.net[0].weight[0, 2] = float("nan")  # a NaN in x itself is refused before training (test_argument_faults)
    with pytest.raises(rrr.TrainingDivergedError, match="epoch 1, minibatch 1"):
        rrr.fit(model, x, y, mask, l1=1.0, epochs=1)


def test_history_records_initial_terms(toy):
    x, y, mask = toy
    model = rrr.mlp(6, 2, seed=0)
    lam = rrr.balance_l1(rrr.mlp(6, 2, seed=0), x, y, mask, batch_size=256)
    _, h = rrr.fit(model, x, y, mask, l1=lam, epochs=1)
    assert h.initial_right_answers == pytest.approx(lam * h.initial_right_reasons, rel=1e-5)
    assert len(h.to_frame()) == 1


def test_find_another_explanation_accumulates_masks(toy):
    x, y, _ = toy
    rounds = rrr.find_another_explanation(
        lambda i: rrr.mlp(6, 2, seed=i), x, y, rounds=3, l1=1e3, epochs=30, batch_size=32
    )
    assert len(rounds) == 3 and not rounds[0].mask.any()
    assert rounds[1].mask.any()
    assert torch.all(rounds[2].mask >= rounds[1].mask)  # union: nothing is forgotten
    assert [r.l1 for r in rounds] == [0.0, 1e3, 1e3]


def test_save_and_load_roundtrip(tmp_path):
    model = rrr.mlp(6, 2, hidden=(4,), n_models=2, seed=0)
    rrr.save_model(model, tmp_path / "m.pt", l1=3.0)
    loaded = rrr.load_model(tmp_path / "m.pt")
    x = torch.randn(5, 6)
    torch.testing.assert_close(rrr.predict_proba(model, x), rrr.predict_proba(loaded, x))


def test_mlp_stack_starts_each_model_from_its_own_seed():
    stacked = rrr.mlp_stack(6, 2, seeds=[4, 7], hidden=(5,))
    for s, seed in enumerate([4, 7]):
        torch.testing.assert_close(_params(rrr.unstack(stacked, s)), _params(rrr.mlp(6, 2, hidden=(5,), seed=seed)))


def test_stacked_inputs_with_shared_labels(toy):
    x, y, _ = toy
    stack = rrr.mlp_stack(6, 2, seeds=[0, 1], hidden=(5,))
    stacked_x = x.expand(2, *x.shape)
    _, h = rrr.fit(stack, stacked_x, y, epochs=2, batch_size=50)
    assert np.asarray(h.running_accuracy[-1]).shape == (2,)


# --- divergence: the objective every step, the parameters after every epoch's last step -----------
def test_fit_stops_when_the_parameters_stop_being_finite_after_the_last_step(toy):
    x, y, _ = toy
    # One step at lr=inf: the objective before it is finite, the parameters after it are not.
    with pytest.raises(
        rrr.TrainingDivergedError,
        match=r"rrr.fit: the model's parameters became NaN or infinite \(first: net.0.weight\) at the end of "
        r"epoch 1 \(after its last step\).*Fix: lower lr or l1",
    ):
        rrr.fit(rrr.mlp(6, 2, seed=0), x, y, epochs=1, batch_size=len(x), lr=float("inf"))


def test_fit_names_the_objective_when_it_stops_being_finite(toy):
    x, y, mask = toy
    with pytest.raises(
        rrr.TrainingDivergedError,
        match=r"rrr.fit: the training objective became nan at epoch 1, minibatch 2 \(right answers nan.*lower lr or l1",
    ):
        rrr.fit(rrr.mlp(6, 2, seed=0), x, y, mask, l1=1.0, epochs=1, batch_size=32, lr=float("inf"))


def test_fit_warns_once_when_a_finite_objective_explodes(toy):
    x, y, _ = toy
    with pytest.warns(rrr.TrainingExplodingWarning, match="rrr.fit: the training objective grew from") as caught:
        rrr.fit(rrr.mlp(6, 2, seed=0), x, y, epochs=5, batch_size=32, lr=1e6)
    assert len([w for w in caught if w.category is rrr.TrainingExplodingWarning]) == 1


def test_check_finite_names_what_became_non_finite():
    from rrr.numerics import check_finite

    model = rrr.mlp(3, 2, hidden=(4,), seed=0)
    check_finite("my_trainer", "batch 1", objective=torch.tensor(1.0), parameters=model)  # all finite: silent
    with pytest.raises(rrr.TrainingDivergedError, match="my_trainer: the training objective became inf at batch 7"):
        check_finite("my_trainer", "batch 7", objective=torch.tensor(float("inf")), parameters=model)
    with torch.no_grad():
        model.net[2].bias[1] = float("nan")
    with pytest.raises(rrr.TrainingDivergedError, match=r"parameters became NaN .*\(first: net.2.bias\) at batch 9.*"
                       r"Fix: lower lr or λ"):
        check_finite("my_trainer", "batch 9", parameters=model, fix="lower lr or λ")


# --- argument checks, once per call ---------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 0}, ValueError, "batch_size must be an integer ≥ 1, got 0"),
        ({"epochs": -1}, ValueError, "epochs must be an integer ≥ 0, got -1"),
        ({"l1": -1.0}, ValueError, "l1 must be finite and ≥ 0, got -1.0"),
        ({"l1": [1.0, 2.0]}, ValueError, r"l1 must be one value or one per stacked model; got 2 values for one model"),
        ({"l2": -1.0}, ValueError, "l2 must be finite and ≥ 0"),
        ({"reduction": "avg"}, ValueError, "reduction must be one of"),
        ({"always_include": [0, 500]}, ValueError, r"always_include must hold integer row indices in \[0, 120\)"),
        ({"mask": "column"}, ValueError, r"mask must have the shape of x, \(120, 6\), got \(120, 1\)"),
        ({"mask": "row"}, ValueError, r"mask must have the shape of x, \(120, 6\), got \(6,\)"),
        ({"y": "float"}, TypeError, "y must hold integer class indices .*got torch.float32"),
        ({"y": "ignored"}, ValueError, "y must hold class indices ≥ 0, got -100"),
        ({"y": "short"}, ValueError, r"y must have one label per example of x.*\(119,\) for x of shape \(120, 6\)"),
        ({"x": "empty"}, ValueError, r"x holds no examples \(shape \(0, 6\)\)"),
        ({"x": "double"}, TypeError, "x is torch.float64 but the model's parameters are torch.float32"),
    ],
)
def test_fit_names_bad_arguments(toy, kwargs, error, message):
    x, y, mask = toy
    kwargs = dict(kwargs)
    variants = {
        "mask": {"column": mask[:, :1], "row": mask[0]},
        "y": {"float": y.float().numpy() + 0.5, "short": y[1:], "ignored": torch.where(y == y[3], -100, y)},
        "x": {"empty": x[:0], "double": x.double()},
    }
    for key, options in variants.items():
        if key in kwargs:
            kwargs[key] = options[kwargs[key]]
    if kwargs.get("x") is not None and len(kwargs["x"]) == 0:
        kwargs["y"] = y[:0]
    args = {"x": x, "y": y, "mask": mask, "epochs": 1, **kwargs}
    with pytest.raises(error, match=message):
        rrr.fit(rrr.mlp(6, 2, seed=0), args.pop("x"), args.pop("y"), args.pop("mask"), **args)


def test_fit_checks_its_arguments_once_not_per_minibatch(toy, monkeypatch):
    import rrr.losses
    import rrr.training

    x, y, mask = toy
    calls = {"fit": 0, "loss_terms": 0}

    def counting(name, check):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return check(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(rrr.training, "check_mask", counting("fit", rrr.training.check_mask))
    monkeypatch.setattr(rrr.losses, "check_mask", counting("loss_terms", rrr.losses.check_mask))
    rrr.fit(rrr.mlp(6, 2, seed=0), x, y, mask, l1=1.0, epochs=3, batch_size=16)  # 24 minibatches
    assert calls == {"fit": 1, "loss_terms": 0}


def test_find_another_explanation_and_balance_l1_name_bad_arguments(toy):
    x, y, mask = toy
    make = lambda i: rrr.mlp(6, 2, seed=i)  # noqa: E731
    with pytest.raises(ValueError, match="rounds must be an integer ≥ 1, got 0"):
        rrr.find_another_explanation(make, x, y, rounds=0, l1=1.0)
    with pytest.raises(ValueError, match=r"cutoff must be in \(0, 1\]"):
        rrr.find_another_explanation(make, x, y, rounds=2, l1=1.0, cutoff=1.5)
    with pytest.raises(ValueError, match="l1 must be finite and ≥ 0"):
        rrr.find_another_explanation(make, x, y, rounds=2, l1=[-1.0])
    with pytest.raises(ValueError, match="batch_size must be an integer ≥ 1, got 0"):
        rrr.find_another_explanation(make, x, y, rounds=2, l1=1.0, batch_size=0)
    with pytest.raises(ValueError, match="x_test and y_test must be given together"):
        rrr.find_another_explanation(make, x, y, rounds=2, l1=1.0, x_test=x)
    model = rrr.mlp(6, 2, seed=0)
    with pytest.raises(ValueError, match=r"mask must have the shape of x, \(120, 6\), got \(120, 1\)"):
        rrr.balance_l1(model, x, y, mask[:, :1])
    with pytest.raises(ValueError, match="balance_l1 needs an annotation mask"):
        rrr.balance_l1(model, x, y, None)
    with pytest.raises(ValueError, match="batch_size must be an integer ≥ 1, got 0"):
        rrr.balance_l1(model, x, y, mask, batch_size=0)
    with pytest.raises(ValueError, match="x holds no examples"):
        rrr.balance_l1(model, x[:0], y[:0], mask[:0])
    with pytest.raises(TypeError, match="y must hold integer class indices"):
        rrr.balance_l1(model, x, y.float(), mask)


def test_fit_accepts_shared_or_per_model_masks_for_a_stack(toy):
    x, y, mask = toy
    stack = rrr.mlp_stack(6, 2, seeds=[0, 1], hidden=(5,))
    rrr.fit(stack, x, y, mask, l1=1.0, epochs=1)  # shared (N, D)
    rrr.fit(stack, x, y, mask.expand(2, *mask.shape), l1=1.0, epochs=1)  # one per model (S, N, D)
    with pytest.raises(ValueError, match=r"mask must have shape \(120, 6\) \(shared by the stacked models\) or "
                       r"\(2, 120, 6\) \(one per model\), got \(3, 120, 6\)"):
        rrr.fit(stack, x, y, mask.expand(3, *mask.shape), l1=1.0, epochs=1)


@pytest.mark.parametrize("annotated", [[0, 1, 2, 3], [0]])
def test_fit_takes_the_same_steps_as_the_papers_objective_written_out(toy, annotated):
    """rrr.fit's fast step (fused right-reasons sum, backward to the parameters only, the annotation flag computed
    once) gives the parameters of a plain Adam loop on the objective written out: bit for bit with the whole input
    gradient (4 of 6 features annotated), to round-off through the MLP's first layer (1 of 6,
    :func:`rrr.fused.annotated_columns`). One minibatch has no annotation, so the skipped double backward is
    covered."""
    x, y, _ = (torch.as_tensor(a) for a in toy)
    mask = torch.zeros_like(x, dtype=torch.bool)
    mask[:, annotated] = True
    mask[:32] = False  # the first minibatch is unannotated
    fast, _ = rrr.fit(rrr.mlp_stack(x.shape[1], 2, seeds=[0, 1]), x, y, mask, l1=[10.0, 100.0], epochs=2, batch_size=32)
    model = rrr.mlp_stack(x.shape[1], 2, seeds=[0, 1])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    l1 = torch.tensor([10.0, 100.0])
    for _ in range(2):
        for b in range(0, len(y), 32):
            xb = x[b : b + 32].expand(2, -1, -1).detach().requires_grad_(True)
            yb, mb = y[b : b + 32].expand(2, -1), mask[b : b + 32].expand(2, -1, -1)
            log_probs = torch.log_softmax(model(xb), dim=-1)
            right_answers = torch.nn.functional.nll_loss(log_probs.flatten(0, 1), yb.flatten(), reduction="none")
            total = right_answers.reshape(yb.shape).sum(-1)
            if mb.any():
                (g,) = torch.autograd.grad(log_probs.sum(), xb, create_graph=True)
                total = total + l1 * (g * mb.to(g.dtype)).pow(2).reshape(*yb.shape, -1).sum(dim=(-1, -2))
            objective = total.sum() + 1e-4 * sum(p.pow(2).sum() for p in model.parameters())
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
    for a, b in zip(fast.parameters(), model.parameters(), strict=True):
        if len(annotated) > 1:
            assert torch.equal(a, b)
        else:
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
