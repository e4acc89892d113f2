"""The thesis's other experiments: joint diverse training, Hessian penalties, the squares toy,
the autoencoder, VGG-style nets, FGSM and the CIFAR-10 loader."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

import rrr
from rrr.extras.autoencoder import ConvAutoencoder, factor_correlations, fit_autoencoder
from rrr.data.acquire import CorruptDataError
from rrr.data.cifar10 import load_cifar10
from rrr.data.squares import SHADE_CLASSES, SIZES, make_squares, make_unlabelled_squares, render
from rrr.extras.diverse import (
    boundary_angle,
    cosine_sq,
    gradient_cosines,
    overlap_penalty,
    quadrant_grid,
    train_diverse_models,
)
from rrr.extras.hessian import (
    fit_input_penalty,
    hessian_frobenius_sq,
    hessian_frobenius_sq_estimate,
    penalty_terms,
)
from rrr.models import smooth_mlp
from rrr.adversarial.attacks import fgsm
from rrr.extras.vgg import vgg


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    """These models are tiny: a second thread only adds overhead."""
    torch.set_num_threads(1)


# --- rrr.extras.diverse -----------------------------------------------------------------------------
def test_cosine_sq_is_zero_for_orthogonal_and_one_for_parallel_gradients():
    a = torch.tensor([[1.0, 0.0], [2.0, 2.0]])
    b = torch.tensor([[0.0, 3.0], [-1.0, -1.0]])
    assert torch.allclose(cosine_sq(a, b), torch.tensor([0.0, 1.0]), atol=1e-6)
    assert overlap_penalty([a, b, b]).item() == pytest.approx(cosine_sq(a, b).sum().item() * 2 + 2.0, abs=1e-5)


def test_quadrant_grid_keeps_quadrants_one_and_three():
    X, y = quadrant_grid(10, 5.0, seed=1)
    assert len(X) == 50 and set(np.unique(y)) == {0, 1}
    assert np.all(np.sign(X[:, 0]) == np.sign(X[:, 1]))
    assert np.array_equal(y, (X[:, 0] > 0).astype(int))
    assert np.allclose(boundary_angle(np.array([[1.0, 0.0], [0.0, -2.0], [1.0, -1.0]])), [0, 90, 45])


def test_joint_training_with_the_cosine_penalty_makes_gradients_orthogonal():
    X, y = quadrant_grid(10, 10.0)
    kwargs = dict(epochs=80, batch_size=50, lr=1e-2, seed=0)
    pair, history = train_diverse_models(
        [smooth_mlp(2, 2, (16,), seed=s) for s in (0, 1)], X, y, lambda_overlap=0.02, **kwargs
    )
    plain, _ = train_diverse_models(
        [smooth_mlp(2, 2, (16,), seed=s) for s in (0, 1)], X, y, lambda_overlap=0.0, **kwargs
    )
    diverse_cos = np.abs(gradient_cosines(pair, X)).mean()
    assert diverse_cos < 0.15 and np.abs(gradient_cosines(plain, X)).mean() > 0.5
    assert min(rrr.accuracy(m, X, y) for m in pair) == 1.0
    assert history.overlap[-1] < history.overlap[0]


def test_gradient_cosines_of_a_model_with_itself_are_one_and_masking_works():
    X, _ = quadrant_grid(6, 1.0)
    m = smooth_mlp(2, 2, (8,), seed=0)
    assert np.allclose(gradient_cosines([m, m], X), 1.0, atol=1e-4)
    masked = gradient_cosines([m, m], X, mask=torch.tensor([1.0, 0.0]))
    assert np.allclose(np.abs(masked), 1.0, atol=1e-4)


# --- rrr.extras.hessian -----------------------------------------------------------------------------
def test_exact_hessian_penalty_matches_torch_func_and_works_stacked():
    torch.manual_seed(0)
    net = smooth_mlp(2, 3, (6,), seed=0).double()
    x = torch.randn(7, 2, dtype=torch.float64)

    def f(xi: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(net(xi[None]), dim=-1).sum()

    reference = torch.func.vmap(torch.func.hessian(f))(x).pow(2).sum(dim=(-1, -2))
    assert torch.allclose(hessian_frobenius_sq(net, x), reference)
    stack = smooth_mlp(2, 3, (6,), n_models=2, seed=0).double()
    both = hessian_frobenius_sq(stack, x.expand(2, -1, -1))
    for s in range(2):
        single = smooth_mlp(2, 3, (6,), seed=0).double()
        with torch.no_grad():
            for lin, k in zip((single[0], single[2]), (0, 2)):
                lin.weight.copy_(stack[k].weight[s].T)
                lin.bias.copy_(stack[k].bias[s, 0])
        assert torch.allclose(both[s], hessian_frobenius_sq(single, x))


def test_hessian_estimator_converges_to_the_exact_penalty():
    net = smooth_mlp(2, 2, (10,), seed=3).double()
    x = torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2
    exact = hessian_frobenius_sq(net, x).mean()
    gen = torch.Generator().manual_seed(1)
    rough = hessian_frobenius_sq_estimate(net, x, sigma=1e-3, n_samples=1, generator=gen, create_graph=False)
    fine = hessian_frobenius_sq_estimate(net, x, sigma=1e-3, n_samples=64, generator=gen, create_graph=False)
    assert abs(fine.mean() / exact - 1) < 0.05
    assert (fine - hessian_frobenius_sq(net, x)).abs().median() < (rough - hessian_frobenius_sq(net, x)).abs().median()


def test_l1_and_l2_penalties_of_a_linear_softmax_model():
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2).double()
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.tensor([0, 1, 1, 0, 1])
    p = torch.softmax(net(x), dim=-1).detach()
    g = (p - torch.nn.functional.one_hot(y, 2)) @ net.weight.detach()  # ∇_x CE of a linear model
    _, l2 = penalty_terms(net, x, y, "l2_norm", output="loss")
    _, l1 = penalty_terms(net, x, y, "l1_norm", output="loss")
    assert l2.item() == pytest.approx(g.pow(2).sum(-1).mean().item())
    assert l1.item() == pytest.approx(g.abs().sum(-1).mean().item())


def test_rrr_0_1_norm_names_still_work_with_a_deprecation_warning():
    """"l1"/"l2" now mean only λ1/λ2; the input-gradient norms are "l1_norm"/"l2_norm"."""
    net = torch.nn.Linear(3, 2).double()
    x, y = torch.randn(5, 3, dtype=torch.float64), torch.tensor([0, 1, 1, 0, 1])
    for old, new in (("l1", "l1_norm"), ("l2", "l2_norm")):
        with pytest.warns(DeprecationWarning, match=f"penalty '{old}' is renamed '{new}'"):
            _, before = penalty_terms(net, x, y, old, output="loss")
        assert before.item() == penalty_terms(net, x, y, new, output="loss")[1].item()


def test_fitting_a_stack_equals_fitting_each_model_alone():
    X, y = quadrant_grid(8, 2.0)
    lams = [0.0, 0.5]
    stack = smooth_mlp(2, 2, (5,), n_models=2, seed=0)
    singles = []
    for s in range(2):
        single = smooth_mlp(2, 2, (5,), seed=0)
        with torch.no_grad():
            for lin, k in zip((single[0], single[2]), (0, 2)):
                lin.weight.copy_(stack[k].weight[s].T)
                lin.bias.copy_(stack[k].bias[s, 0])
        singles.append(fit_input_penalty(single, X, y, penalty="hessian", lam=lams[s], epochs=3, batch_size=16)[0])
    stack, history = fit_input_penalty(stack, X, y, penalty="hessian", lam=lams, epochs=3, batch_size=16)
    for s in range(2):
        assert torch.allclose(stack[0].weight[s].T, singles[s][0].weight, atol=1e-5)
    assert history.penalty[-1].shape == (2,)


# --- squares, autoencoder ------------------------------------------------------------------------
def test_squares_confound_size_and_colour_in_train_only():
    X, y, f = make_squares(400, "train", seed=0)
    assert X.shape == (400, 16, 16) and y.mean() == 0.5
    large = f["size"] >= SIZES[len(SIZES) // 2]
    light = f["shade"] >= SHADE_CLASSES[1][0]
    assert np.array_equal(large, y == 1) and np.array_equal(light, y == 1)
    _, ys, fs = make_squares(2000, "test_size", seed=1)
    _, yc, fc = make_squares(2000, "test_color", seed=2)
    assert np.array_equal(fs["size"] >= 5, ys == 1) and abs(np.corrcoef(fs["shade"], ys)[0, 1]) < 0.1
    assert np.array_equal(fc["shade"] >= 0.35, yc == 1) and abs(np.corrcoef(fc["size"], yc)[0, 1]) < 0.1
    image = render(np.array([3]), np.array([2]), np.array([5]), np.array([0.2]))[0]
    assert (image == 1.0).sum() == 9 and image[5, 2] == 1.0 and image[0, 0] == pytest.approx(0.2)


def test_autoencoder_ties_its_first_latents_to_the_factors():
    images, f = make_unlabelled_squares(400, seed=0)
    targets = np.stack([f["size"], f["shade"]], axis=1)
    torch.manual_seed(0)
    ae = ConvAutoencoder(16, 4, 2, channels=4)
    ae, history = fit_autoencoder(ae, images, targets, epochs=10, batch_size=50, lr=1e-2)
    assert history.supervision[-1] < 0.5 * history.supervision[0]
    z = ae.codes(images)
    assert z.shape == (400, 4)
    corr = factor_correlations(z, targets)
    assert corr[0, 0] > 0.8 and corr[1, 1] > 0.8
    with pytest.raises(ValueError, match="factors must have shape"):
        fit_autoencoder(ae, images, targets[:, :1], epochs=1)


# --- VGG, FGSM, CIFAR-10 ---------------------------------------------------------------------
def test_vgg_shapes_and_fgsm_stays_in_the_epsilon_ball():
    assert vgg("vgg16", 3, 10, 32, seed=0)(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    net = vgg("small", 1, 10, 28, seed=0)
    x = torch.rand(6, 1, 28, 28)
    y = torch.arange(6)
    adversarial = torch.as_tensor(fgsm(net, x, y, 0.1, clip=(0.0, 1.0)))
    assert (adversarial - x).abs().max() <= 0.1 + 1e-6
    assert adversarial.min() >= 0 and adversarial.max() <= 1
    loss = torch.nn.functional.cross_entropy
    assert loss(net(adversarial), y) > loss(net(x), y)
    with pytest.raises(ValueError, match="pooled away"):
        vgg("vgg16", 3, 10, 16)


def _fake_cifar(path, n=4, corrupt=False):
    with tarfile.open(path, "w:gz") as archive:
        names = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)] + ["cifar-10-batches-py/test_batch"]
        for i, name in enumerate(names):
            batch = {b"data": np.full((n, 3072), i, np.uint8), b"labels": list(range(n))}
            raw = b"not a pickle" if corrupt and i == 5 else pickle.dumps(batch)
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))


def test_cifar10_loader_reads_the_python_archive(tmp_path):
    _fake_cifar(tmp_path / "cifar-10-python.tar.gz")
    X, y, Xt, yt = load_cifar10(tmp_path)
    assert X.shape == (20, 3, 32, 32) and Xt.shape == (4, 3, 32, 32) and y.dtype == np.int64
    assert X[4, 0, 0, 0] == 1 and Xt.max() == 5
    bad = tmp_path / "bad"
    bad.mkdir()
    _fake_cifar(bad / "cifar-10-python.tar.gz", corrupt=True)
    with pytest.raises(CorruptDataError, match="test_batch"):
        load_cifar10(bad)


# --- every trainer stops on divergence; arguments are checked ------------------------------------
def _diverging_runs():
    X, y = quadrant_grid(10)
    images, f = make_unlabelled_squares(40, seed=0)
    factors = np.stack([f["size"], f["shade"]], axis=1)
    return {
        "rrr.extras.hessian.fit_input_penalty": lambda lr: fit_input_penalty(
            smooth_mlp(2, 2, seed=0), X, y, penalty="l2_norm", lam=1.0, epochs=1, batch_size=len(y), lr=lr
        ),
        "rrr.train_diverse_models": lambda lr: train_diverse_models(
            [smooth_mlp(2, 2, seed=0), smooth_mlp(2, 2, seed=1)], X, y, epochs=1, batch_size=len(y), lr=lr
        ),
        "rrr.extras.autoencoder.fit_autoencoder": lambda lr: fit_autoencoder(
            ConvAutoencoder(16, 4, 2, channels=2), images, factors, epochs=1, batch_size=len(images), lr=lr
        ),
    }


@pytest.mark.parametrize("trainer", sorted(_diverging_runs()))
def test_every_trainer_stops_when_the_parameters_stop_being_finite(trainer):
    # One step at lr=inf leaves NaN/inf parameters with a finite objective before it: only the
    # check after the last step sees it.
    with pytest.raises(rrr.TrainingDivergedError, match=rf"{trainer}: the model's parameters .* epoch 1.*lower lr"):
        _diverging_runs()[trainer](float("inf"))


def test_diverse_training_checks_its_arguments():
    X, y = quadrant_grid(10)
    pair = [smooth_mlp(2, 2, seed=0), smooth_mlp(2, 2, seed=1)]
    with pytest.raises(ValueError, match="lambda_overlap must be finite and ≥ 0, got -1"):
        train_diverse_models(pair, X, y, lambda_overlap=-1.0)
    with pytest.raises(ValueError, match="batch_size must be an integer ≥ 1, got 0"):
        train_diverse_models(pair, X, y, batch_size=0)
    with pytest.raises(ValueError, match="x holds no examples"):
        train_diverse_models(pair, X[:0], y[:0])
    with pytest.raises(TypeError, match="integer class indices"):
        train_diverse_models(pair, X, y.astype(np.float32))
    with pytest.raises(ValueError, match="class indices ≥ 0, got -100"):
        train_diverse_models(pair, X, np.where(np.arange(len(y)) == 0, -100, y))
    with pytest.raises(ValueError, match=r"mask must be broadcastable to one example's shape \(2,\), got \(3,\)"):
        train_diverse_models(pair, X, y, mask=np.ones(3))
    with pytest.raises(TypeError, match="x is torch.float32 but the model's parameters are torch.float64"):
        train_diverse_models([m.double() for m in pair], X, y)
    with pytest.raises(ValueError, match="gradient must be one of"):
        train_diverse_models(pair, X, y, gradient="prob")


# --- saved models load without running pickled code ----------------------------------------------
class _Payload:
    ran = False

    def __reduce__(self):
        return (setattr, (_Payload, "ran", True))


def test_save_tensors_round_trip_and_refuse_pickled_code(tmp_path):
    from rrr.models import load_tensors, pack_states, save_tensors, unpack_states

    nets = [vgg("small", 1, 3, 8, seed=s) for s in range(2)]
    save_tensors(tmp_path / "m.pt", pack_states([n.state_dict() for n in nets]), arch="small", entries=[0, 1])
    tensors, meta = load_tensors(tmp_path / "m.pt")
    assert meta == {"arch": "small", "entries": [0, 1]}
    for net, state in zip(nets, unpack_states(tensors)):
        assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())
    torch.save({"payload": _Payload()}, tmp_path / "evil.pt")
    (tmp_path / "evil.pt.json").write_text("{}")
    with pytest.raises(pickle.UnpicklingError):
        load_tensors(tmp_path / "evil.pt")
    assert not _Payload.ran


_RUN_SCRIPTS = """
import json, runpy, sys
from types import SimpleNamespace


class IO(list):  # Snakemake's named lists: sm.output[0] and sm.output.model
    def __init__(self, named):
        super().__init__(named.values())
        self.__dict__.update(named)


for script, sm in json.loads(sys.argv[1]):
    sm = {k: IO(v) if k in ("input", "output", "log") else v for k, v in sm.items()}
    sm["params"], sm["wildcards"] = SimpleNamespace(**sm["params"]), SimpleNamespace(**sm["wildcards"])
    runpy.run_path(script, init_globals={"snakemake": SimpleNamespace(threads=1, **sm)}, run_name="__main__")
"""


def _job(script, tmp, input={}, output={}, params={}, wildcards={}):
    names = "-".join([script, *map(str, wildcards.values())])
    paths = {k: str(tmp / v) if isinstance(v, str) else [str(tmp / p) for p in v] for k, v in input.items()}
    return [
        str(Path(__file__).resolve().parents[1] / "workflow" / "scripts" / f"{script}.py"),
        {
            "input": paths,
            "output": {k: str(tmp / v) for k, v in output.items()},
            "log": {"log": str(tmp / f"{names}.log")},
            "params": {"code": "0" * 16, "device": "cpu", **params},  # every scripted rule: its code hash, device
            "wildcards": wildcards,
        },
    ]


def test_extras_scripts_save_tensors_and_json_that_load_with_weights_only(tmp_path):
    import json
    import subprocess
    import sys

    g = np.random.default_rng(0)
    np.savez(
        tmp_path / "l1l2.npz",
        X=g.integers(0, 256, (16, 1, 8, 8), dtype=np.uint8),
        y=np.arange(16) % 2,
        Xt=g.integers(0, 256, (8, 1, 8, 8), dtype=np.uint8),
        yt=np.arange(8) % 2,
    )
    l1l2 = {"arch": "small", "seeds": [0], "lambdas": [1.0], "l1_norm_factor": 0.1, "n_attacked": 8, "epsilon": 0.1,
            "useful_fraction": 0.0, "train": {"epochs": 1, "batch_size": 16, "lr": 1e-3}}
    ae = {"n_latent": 4, "channels": 2, "epochs": 1, "batch_size": 32, "lr": 1e-3, "supervision_weight": 1.0, "seed": 0}
    squares = {"seeds": [0], "hidden": 4, "autoencoder": ae, "normal": {"epochs": 1, "batch_size": 64, "lr": 1e-3}}
    norms = ("none", "l1_norm", "l2_norm")
    jobs = [
        _job("squares_data", tmp_path, output={"data": "sq.npz"},
             params={"seed": 0, "n_autoencoder": 64, "n_train": 64, "n_test": 32}),
        _job("squares_autoencoder", tmp_path, {"data": "sq.npz"},
             {"model": "ae.pt", "metrics": "ae.json", "record": "ae.tsv"}, {"cfg": ae}),
        _job("squares_train", tmp_path, {"data": "sq.npz", "autoencoder": "ae.pt"},
             {"models": "normal.pt", "metrics": "normal.json", "record": "normal.tsv"}, {"cfg": squares},
             {"kind": "normal"}),
        *(_job("l1l2_train", tmp_path, {"data": "l1l2.npz"},
               {"models": f"{n}.pt", "metrics": f"{n}.json", "record": f"{n}.tsv"}, {"cfg": l1l2}, {"norm": n})
          for n in norms),
        _job("l1l2_attack", tmp_path, {"data": "l1l2.npz", "models": [f"{n}.pt" for n in norms]},
             {"metrics": "fgsm.json", "matrix": "fgsm.csv"}, {"cfg": l1l2}),
    ]
    run = subprocess.run([sys.executable, "-c", _RUN_SCRIPTS, json.dumps(jobs)], capture_output=True, text=True)
    logs = "\n".join(p.read_text()[-2000:] for p in tmp_path.glob("*.log"))
    assert run.returncode == 0, run.stderr[-3000:] + logs
    for name in ("ae", *norms):
        saved = torch.load(tmp_path / f"{name}.pt", weights_only=True)
        assert saved and all(isinstance(t, torch.Tensor) for t in saved.values())
        assert json.loads((tmp_path / f"{name}.pt.json").read_text())
    assert json.loads((tmp_path / "fgsm.json").read_text())["models"] == ["none_lam0", "l1_norm_lam1", "l2_norm_lam1"]


def test_no_loading_of_pickled_code_remains():
    root = Path(__file__).resolve().parents[1]
    offenders = [
        str(path.relative_to(root))
        for folder in ("rrr", "workflow")
        for path in (root / folder).rglob("*")
        if path.suffix in (".py", ".smk") and "weights_only=False" in path.read_text()
    ]
    assert not offenders, f"torch.load(weights_only=False) runs pickled code: {offenders}"
