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
    assert h.train_accuracy[-1] > 0.9
    assert h.right_reasons == [0.0] * 40
    penalized, hp = rrr.fit(rrr.mlp(6, 2, seed=0), x, y, mask, l1=1e3, epochs=40, batch_size=32)
    g0 = rrr.input_gradients(plain, x).abs().mean(0)
    g1 = rrr.input_gradients(penalized, x).abs().mean(0)
    assert g1[0] / g1[1] < 0.1 * (g0[0] / g0[1])
    assert hp.train_accuracy[-1] > 0.9


def test_stacked_training_equals_independent_training(toy):
    x, y, mask = toy
    l1 = [0.0, 10.0, 100.0]
    stack, hs = rrr.fit(rrr.mlp(6, 2, n_models=3, seed=2).double(), x.double(), y, mask, l1=l1, epochs=2, batch_size=50)
    for s, lam in enumerate(l1):
        single = rrr.unstack(rrr.mlp(6, 2, n_models=3, seed=2), s).double()
        single, h = rrr.fit(single, x.double(), y, mask, l1=lam, epochs=2, batch_size=50)
        torch.testing.assert_close(_params(single), _params(rrr.unstack(stack, s).double()))
        np.testing.assert_allclose(h.right_answers, [ra[s] for ra in hs.right_answers], rtol=1e-9)


def test_divergence_is_a_clear_error(toy):
    x, y, mask = toy
    x = x.clone()
    x[3, 2] = float("nan")
    with pytest.raises(rrr.TrainingDivergedError, match="epoch 1, minibatch 1"):
        rrr.fit(rrr.mlp(6, 2, seed=0), x, y, mask, l1=1.0, epochs=1)


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
    assert np.asarray(h.train_accuracy[-1]).shape == (2,)
