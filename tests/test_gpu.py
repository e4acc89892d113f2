"""The CUDA path: the method (rrr.fit, find_another_explanation, balance_l1 follow the model's device), and the
thesis's CNN experiments (a few training steps, FGSM and JSMA on the GPU, for the adversarial chapter's CNN and the
thesis-extras VGG), each checked against the same computation on the CPU. Skipped, saying why, where torch sees no
CUDA device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import rrr
from rrr.adversarial.attacks import fgsm, jsma, transfer_accuracies
from rrr.adversarial.cnn import load_cnn, reference_cnn, resolve_device, save_cnn
from rrr.adversarial.defenses import model_seed, objective_for, objective_loss, predict_logits, train_cnn
from rrr.adversarial.stack import train_stack
from rrr.extras.hessian import penalty_terms
from rrr.extras.vgg import vgg

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason=f"torch {torch.__version__} sees no CUDA device (CUDA build: {torch.version.cuda or 'none'}); "
        "the CUDA path of the CNN and VGG experiments is exercised on a GPU machine",
    ),
]
CUDA = torch.device("cuda")


@pytest.fixture(autouse=True)
def _full_float32():
    """No TF32 in convolutions and matrix products (cuDNN's default on Ampere and later), so that the GPU and the
    CPU compute the same float32 numbers up to rounding and can be compared tightly."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _digits(n: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 784, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("defense", ["normal", "advtrain", "insensitive-cs", "insensitive-dbl", "both"])
def test_cnn_trains_on_cuda_and_resumes_from_a_checkpoint(defense: str, tmp_path: Path):
    assert resolve_device("cuda").type == "cuda"
    x, y = (t.to(CUDA) for t in _digits())
    objective = objective_for(defense, lam=10.0)
    model = reference_cnn(28, seed=model_seed(0, defense, 10.0)).to(CUDA)
    log = train_cnn(model, x, y, objective, batches=4, batch_size=16, lr=1e-3, seed=0, log_every=1,
                    checkpoint=tmp_path / "m.ckpt", checkpoint_every=2)
    assert len(log) == 4 and all(np.isfinite(row["loss"]) for row in log)
    assert next(model.parameters()).device.type == "cuda" and not model.training
    state = torch.load(tmp_path / "m.ckpt", weights_only=True)
    assert state["step"] == 4 and "cuda" in state["rng"]  # the GPU's dropout stream is saved too
    save_cnn(model, tmp_path / "m.pt")
    loaded = load_cnn(tmp_path / "m.pt", CUDA)
    assert torch.allclose(predict_logits(loaded, x), predict_logits(model, x))
    # The same weights give the same logits and loss on the CPU (eval mode: no dropout, running BN statistics).
    cpu = load_cnn(tmp_path / "m.pt", "cpu")
    assert torch.allclose(predict_logits(cpu, x.cpu()), predict_logits(model, x).cpu(), atol=1e-3, rtol=1e-3)
    loss, _ = objective_loss(model.train(), x[:16], y[:16], objective)
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is None or p.grad.device.type == "cuda" for p in model.parameters())


def test_a_stack_of_cnns_on_cuda_takes_each_lone_models_steps(tmp_path: Path):
    """rrr.adversarial.stack on CUDA: each model of a mixed stack ends where it ends trained alone on CUDA (its dropout
    masks from its own CUDA random state, the lone fused kernel's), to round-off, and its checkpoints hold CUDA RNG."""
    x, y = (t.to(CUDA) for t in _digits())
    soft = torch.softmax(torch.randn(len(x), 10, generator=torch.Generator().manual_seed(2)), -1).to(CUDA)
    defenses = ["normal", "distilled", "advtrain", "doubleback", "insensitive-cs", "both"]
    objectives = [objective_for(d, lam=10.0) for d in defenses]
    seeds = [model_seed(0, d, 10.0) for d in defenses]
    ys = [soft if d == "distilled" else y for d in defenses]
    alone = [reference_cnn(28, seed=s).to(CUDA) for s in seeds]
    for m, t, o, s in zip(alone, ys, objectives, seeds):
        train_cnn(m, x, t, o, batches=2, batch_size=16, seed=s)
    stacked = [reference_cnn(28, seed=s).to(CUDA) for s in seeds]
    paths = [tmp_path / f"{d}.ckpt" for d in defenses]
    train_stack(stacked, x, ys, objectives, seeds=seeds, batches=2, batch_size=16, checkpoints=paths)
    for d, a, b in zip(defenses, alone, stacked):
        gap = max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))
        assert gap < 0.03 * 2e-4 * 2, d  # tests/test_adversarial_stack.py's bound: 3% of Adam's largest move
        assert next(b.parameters()).device.type == "cuda"
    assert "cuda" in torch.load(paths[0], weights_only=True)["rng"]


def test_fgsm_and_jsma_on_cuda_match_the_cpu():
    torch.manual_seed(0)
    model = reference_cnn(28, seed=1).eval()
    x, y = _digits(8, seed=1)
    x_np, y_np = x.numpy(), y.numpy()
    on_gpu = reference_cnn(28, seed=1).eval().to(CUDA)
    adv_gpu, adv_cpu = fgsm(on_gpu, x_np, y_np, 0.1, (0.0, 1.0)), fgsm(model, x_np, y_np, 0.1, (0.0, 1.0))
    assert adv_gpu.shape == x_np.shape and np.abs(adv_gpu - x_np).max() == pytest.approx(0.1, abs=1e-6)
    assert (adv_gpu == adv_cpu).mean() > 0.99  # signs of float gradients may differ where they are ~0
    acc, correct, unperturbed = transfer_accuracies({"a": on_gpu}, x_np, y_np, [0.0, 0.1], (0.0, 1.0), targeted=False)
    assert acc.shape == (1, 1, 2) and unperturbed[:, 0].all()
    target = (predict_logits(on_gpu, x.to(CUDA)).argmax(-1).cpu().numpy() + 1) % 10
    images, success = jsma(on_gpu, x_np[:2], target[:2], theta=1.0, gamma=0.02, clip=(0.0, 1.0))
    assert images.shape == (2, 784) and success.shape == (2,)
    changed = (images != x_np[:2]).sum(1)
    assert (changed > 0).all() and (changed <= 2 * int(784 * 0.02 / 2)).all()  # at most ⌊Dγ/2⌋ pairs


def test_vgg_trains_and_is_attacked_on_cuda():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(32, 1, 28, 28, generator=g), torch.randint(0, 10, (32,), generator=g)
    model = vgg("small", 1, 10, 28, seed=0).to(CUDA)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    xg, yg = x.to(CUDA), y.to(CUDA)
    for _ in range(3):  # a few steps of the L2 input-gradient (double backprop) objective of thesis Fig. 23
        ce, penalty = penalty_terms(model, xg, yg, "l2", output="loss")
        loss = ce + 10.0 * penalty
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        assert torch.isfinite(loss) and penalty.item() >= 0
    cpu = vgg("small", 1, 10, 28)
    cpu.load_state_dict({k: v.cpu() for k, v in model.state_dict().items()})
    with torch.no_grad():
        assert torch.allclose(model(xg).cpu(), cpu(x), atol=1e-4, rtol=1e-4)
    adv = fgsm(model.eval(), x.numpy(), y.numpy(), 0.1, (0.0, 1.0))
    assert adv.shape == (32, 1, 28, 28) and np.abs(adv - x.numpy()).max() == pytest.approx(0.1, abs=1e-6)


def test_the_method_follows_the_model_to_cuda_and_matches_the_cpu():
    """rrr.fit, find_another_explanation and balance_l1 take numpy or CPU data and run where the model is."""
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 12), dtype=np.float32) * 255, rng.integers(0, 3, 64)
    mask = np.zeros_like(x, dtype=bool)
    mask[:, :4] = True
    results = {}
    for device in ("cpu", "cuda"):
        model = rrr.mlp_stack(12, 3, seeds=[0, 1], hidden=(8, 5)).to(device)
        model, history = rrr.fit(model, x, y, mask, l1=[10.0, 100.0], epochs=2, batch_size=16, always_include=[0])
        rounds = rrr.find_another_explanation(lambda i, d=device: rrr.mlp(12, 3, (8,), seed=i).to(d), x, y, rounds=2,
                                              l1=10.0, epochs=1, batch_size=32)
        balance = rrr.balance_l1(rrr.mlp(12, 3, (8,), seed=0).to(device), x, y, mask)
        assert next(model.parameters()).device.type == device and rounds[1].mask.device.type == "cpu"
        results[device] = (rrr.predict_proba(model, x).cpu(), history.right_answers, rounds[1].mask, balance)
    cpu, cuda = results["cpu"], results["cuda"]
    torch.testing.assert_close(cuda[0], cpu[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(cuda[1], cpu[1], rtol=1e-4)
    assert (cuda[2] == cpu[2]).float().mean() > 0.99 and cuda[3] == pytest.approx(cpu[3], rel=1e-4)


def test_train_replicates_on_cuda_matches_the_cpu_and_comes_back_on_the_cpu(tmp_path: Path):
    """Config device: cuda for the paper's MLPs: a small stack trained on the GPU equals the CPU run to round-off,
    returns on the CPU, and its saved file (CPU tensors) loads anywhere."""
    from rrr.models import load_model, save_model
    from rrr.pipeline.replicates import train_replicates

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype(np.float32)
    y, mask = (x[:, 0] > 0).astype(np.int64), rng.random((64, 6)) > 0.5
    train = {"epochs": 3, "batch_size": 16, "lr": 1e-2}
    cpu, _, m_cpu = train_replicates(x, y, mask, seeds=[0, 1], l1=10.0, train=train, device="cpu")
    gpu, _, m_gpu = train_replicates(x, y, mask, seeds=[0, 1], l1=10.0, train=train, device="cuda")
    assert all(p.device.type == "cpu" for p in gpu.parameters())
    for a, b in zip(cpu.state_dict().values(), gpu.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m_cpu["train_accuracy"], m_gpu["train_accuracy"])
    save_model(gpu.to(CUDA), tmp_path / "m.pt")  # saved from the GPU: CPU tensors in the file
    state = torch.load(tmp_path / "m.pt", map_location=None, weights_only=True)
    assert all(t.device.type == "cpu" for t in state.values())
    torch.testing.assert_close(load_model(tmp_path / "m.pt").state_dict(), cpu.state_dict(), rtol=1e-4, atol=1e-5)
