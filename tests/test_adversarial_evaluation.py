"""The adversarial chapter's evaluation: attacks (ART cross-checked against a few lines of our own), JSMA against
a line-by-line port of cleverhans 2.0, data, the reference numbers and claims, the metrics they read, Table 2."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from helpers import linear_model, random_images
from rrr.adversarial.metrics import (
    STATEMENT_KEYS,
    evaluation_metrics,
    nonpredicted_log10,
    statement_arrays,
    statement_epsilons,
)
from rrr.adversarial.attacks import fgsm, iterated_tgsm, jsma, tgsm, transfer_accuracies
from rrr.pipeline.claims import claim_switches, load_claims
from rrr.pipeline.configcheck import load_config
from rrr.adversarial.table2 import table2
from rrr.adversarial.transfer import reference_transfer
from rrr.data.adversarial import MODELS, first_of_each_class, load_adversarial_data
from rrr.adversarial.defenses import INSENSITIVE_VARIANTS

REPO = Path(__file__).resolve().parents[1]


# --- attacks: ART against our own few lines -------------------------------------------------------

def _own_step(model, x, labels, eps, sign):
    xt = torch.as_tensor(x).requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xt), torch.as_tensor(labels), reduction="sum"), xt)
    return (xt + sign * eps * g.sign()).clamp(0, 1).detach().numpy()


def test_art_fgsm_and_tgsm_match_the_definition():
    model, (x, y) = linear_model(), random_images()
    assert np.allclose(fgsm(model, x, y, 0.2, (0.0, 1.0)), _own_step(model, x, y, 0.2, +1), atol=1e-6)
    target = (y + 1) % 10
    assert np.allclose(tgsm(model, x, target, 0.2, (0.0, 1.0)), _own_step(model, x, target, 0.2, -1), atol=1e-6)
    assert np.array_equal(fgsm(model, x, y, 0.0, (0.0, 1.0)), x)


def test_art_iterated_tgsm_is_repeated_unprojected_tgsm():
    model, (x, y) = linear_model(scale=5.0), random_images(5)
    target = (y + 3) % 10
    own = x.copy()
    for _ in range(4):
        own = _own_step(model, own, target, 0.1, -1)
    ours = iterated_tgsm(model, x, target, step=0.1, iterations=4, clip=(0.0, 1.0))
    assert np.allclose(ours, own, atol=1e-5)
    assert np.abs(ours - x).max() > 0.35  # moved further than one step: no ε-ball binds


def _cleverhans_jsma(model, sample, target, theta, gamma, clip_min, clip_max):
    """cleverhans 2.0.0 ``jsma`` for one example, ported line by line (numpy saliency map)."""
    adv = sample.copy().reshape(1, -1)
    nf = adv.shape[1]
    max_iters = int(np.floor(nf * gamma / 2))
    increase = bool(theta > 0)
    domain = {i for i in range(nf) if (adv[0, i] < clip_max if increase else adv[0, i] > clip_min)}

    def predict(a):
        return int(model(torch.as_tensor(a)).argmax(-1))

    current, it = predict(adv), 0
    while current != target and it < max_iters and len(domain) > 1:
        xt = torch.as_tensor(adv).requires_grad_(True)
        jac = torch.stack([torch.autograd.grad(model(xt)[0, k], xt)[0][0] for k in range(10)]).numpy()
        gt, go = jac[target].copy(), jac.sum(0) - jac[target]
        invalid = list(set(range(nf)) - domain)
        coef = 2 * int(increase) - 1
        gt[invalid] = -coef * np.max(np.abs(gt))
        go[invalid] = coef * np.max(np.abs(go))
        ts, os_ = gt[None, :] + gt[:, None], go[None, :] + go[:, None]
        mask = (ts > 0) & (os_ < 0) if increase else (ts < 0) & (os_ > 0)
        scores = mask * (-ts * os_) * coef
        np.fill_diagonal(scores, 0)
        best = np.argmax(scores)
        p1, p2 = best % nf, best // nf
        domain.discard(p1)
        domain.discard(p2)
        for p in (p1, p2):
            adv[0, p] = min(clip_max, adv[0, p] + theta) if increase else max(clip_min, adv[0, p] - theta)
        current, it = predict(adv), it + 1
    return adv[0], current == target


def test_jsma_matches_cleverhans_pairwise_saliency():
    model = linear_model(64, 10, seed=1, scale=2.0)
    x, y = random_images(3, 64, seed=2)
    x = x * 0.5
    target = (model(torch.as_tensor(x)).argmax(-1).numpy() + 4) % 10
    ours, success = jsma(model, x, target, theta=1.0, gamma=0.5, clip=(0.0, 1.0), chunk=2)
    for i in range(len(x)):
        ref, ref_success = _cleverhans_jsma(model, x[i], int(target[i]), 1.0, 0.5, 0.0, 1.0)
        assert np.allclose(ours[i], ref) and success[i] == ref_success
    assert success.any()


def test_transfer_accuracies_shapes_and_clean_column():
    models = {"a": linear_model(seed=0), "b": linear_model(seed=1)}
    x, y = random_images(6)
    acc, correct, unperturbed = transfer_accuracies(models, x, y, [0.0, 0.3], (0.0, 1.0), targeted=False)
    assert acc.shape == (2, 2, 2) and correct.shape == (2, 2, 2, 6) and unperturbed.shape == (2, 2, 6)
    for i, m in enumerate(models.values()):  # ε = 0: clean accuracy, whatever the source
        clean = (m(torch.as_tensor(x)).argmax(-1).numpy() == y).mean()
        assert np.allclose(acc[i, :, 0], clean)
    assert unperturbed[:, 0].all() and not unperturbed[:, 1].any()
    x_adv = fgsm(models["b"], x, y, 0.3, (0.0, 1.0))  # one ε at a time gives the same examples
    pred = models["a"](torch.as_tensor(x_adv)).argmax(-1).numpy()
    assert np.array_equal(correct[0, 1, 1], pred == y)
    _, correct_t, _ = transfer_accuracies(models, x, y, [0.2], (0.0, 1.0), targeted=True)
    x_t = tgsm(models["a"], x, (y + 1) % 10, 0.2, (0.0, 1.0))
    assert np.array_equal(correct_t[1, 0, 0], models["b"](torch.as_tensor(x_t)).argmax(-1).numpy() == y)


# --- data, reference numbers, claims --------------------------------------------------------------

def _write_idx(path: Path, array: np.ndarray) -> None:
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_notmnist_sample_is_split_and_scaled_to_plus_minus_half(tmp_path: Path):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (50, 28, 28)))
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(50) % 10)
    d = load_adversarial_data("notmnist_small_sample", tmp_path, seed=1)
    assert (len(d.X), len(d.Xv), len(d.Xt)) == (35, 5, 10)
    assert d.clip == (-0.5, 0.5) and d.X.min() >= -0.5 and d.X.max() <= 0.5
    assert d.label == "notMNIST-small 10k sample"
    assert sorted(np.concatenate([d.y, d.yv, d.yt]).tolist()) == sorted((np.arange(50) % 10).tolist())


def test_svhn_missing_is_a_clear_error(tmp_path: Path):
    from rrr.data.acquire import MissingDataError

    with pytest.raises(MissingDataError, match="enabled: false"):
        load_adversarial_data("svhn", tmp_path)


def test_first_of_each_class():
    y = np.array([1, 0, 1, 0, 2, 2])
    assert first_of_each_class(y, 1, 3).tolist() == [1, 0, 4]
    assert first_of_each_class(y, 2, 3).tolist() == [1, 3, 0, 2, 4, 5]


ADV_CLAIMS = {cid: c for cid, c in load_claims(REPO / "config" / "claims").items()
              if c["file"] == "thesis_adversarial.yaml"}


def test_reference_grids_and_claims_agree():
    grid = reference_transfer("mnist", "fgsm")
    assert grid.shape == (5, 5, 8) and grid[0, 0, 0] == 0.99609375 and grid[4, 4, 3] == 0.27734375
    checked = 0
    for cid, claim in ADV_CLAIMS.items():
        if not cid.startswith("adv_mnist_fgsm_") and not cid.startswith("adv_mnist_tgsm_"):
            continue
        key = claim["metric"].split(":")[1]  # e.g. fgsm_eps0.3_normal_vs_doubleback
        attack, eps, evaluated, _, source = key.split("_")
        ref = reference_transfer("mnist", attack)
        e = [f"eps{v:g}" for v in (0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)].index(eps)
        # Each reading of "insensitive" is compared with the reference's insensitive model, and requires its training.
        readings = {m for m in (evaluated, source) if m in INSENSITIVE_VARIANTS}
        assert len(readings) <= 1, cid
        assert claim_switches(claim)[1:] == [f"adversarial.insensitive.train.{m}" for m in readings], cid
        evaluated, source = ("insensitive" if m in readings else m for m in (evaluated, source))
        assert claim["paper_value"] == ref[MODELS.index(evaluated), MODELS.index(source), e], cid
        assert claim["n_eval"] == 256 and claim["comparable_at"], cid  # the reference's scale: 15000 batches
        checked += 1
    assert checked == 50 + 18  # 25 cells × 2 attacks; the 9 with the insensitive model once per reading


# --- the metrics the claims read ------------------------------------------------------------------

EVAL_MODELS = ["normal", "distilled", "advtrain", "insensitive-cs", "insensitive-dbl", "doubleback", "both"]


def _fake_seed(rng: np.random.Generator, epsilons: list[float], n: int) -> dict:
    k = len(EVAL_MODELS)
    return {
        "correct": {a: rng.random((k, k, len(epsilons), n)) < 0.5 for a in ("fgsm", "tgsm")},
        "unperturbed": {a: rng.random((k, len(epsilons), n)) < 0.5 for a in ("fgsm", "tgsm")},
        "clean": rng.random((k, n)) < 0.9,
        "log_probs": {m: np.log(rng.dirichlet(np.ones(10), n)) for m in EVAL_MODELS},
    }


def _fake_metrics(epsilons: list[float], seeds=(0, 1), n: int = 7) -> tuple[dict, list[dict]]:
    rng = np.random.default_rng(0)
    fakes = [_fake_seed(rng, epsilons, n) for _ in seeds]
    statements = [statement_arrays(f["correct"], f["unperturbed"], f["clean"], f["log_probs"], EVAL_MODELS, epsilons)
                  for f in fakes]
    train = {m: {"clean_accuracy": [0.9] * len(seeds), "batches": 4, "n_clean": 256} for m in EVAL_MODELS}
    metrics, rows = evaluation_metrics(
        dataset="x", models=EVAL_MODELS, seeds=list(seeds), epsilons=epsilons, n_attack=n, train=train,
        accuracy={a: np.stack([f["correct"][a].mean(-1) for f in fakes]) for a in ("fgsm", "tgsm")},
        unperturbed={a: np.stack([f["unperturbed"][a] for f in fakes]) for a in ("fgsm", "tgsm")},
        statements=statements)
    return metrics, fakes


def test_statement_arrays_are_per_image_and_paired():
    epsilons = [0.0, 0.3, 0.4]
    fake = _fake_seed(np.random.default_rng(1), epsilons, 9)
    out = statement_arrays(fake["correct"], fake["unperturbed"], fake["clean"], fake["log_probs"], EVAL_MODELS,
                           epsilons)
    assert set(out) == set(STATEMENT_KEYS) and all(len(v) == 9 for v in out.values())
    i = EVAL_MODELS.index
    fgsm = fake["correct"]["fgsm"]
    # One cell: 0/1 ints, image by image the evaluated model's correctness on the source's examples.
    assert out["correct_fgsm_eps0.4_doubleback_vs_normal"] == fgsm[i("doubleback"), i("normal"), 2].astype(int).tolist()
    assert out["correct_fgsm_eps0.3_normal_vs_normal"] == fgsm[i("normal"), i("normal"), 1].astype(int).tolist()
    # Groups: the mean over the same (source, competitor) pairs, so metric and minus pair image by image.
    pairs = [("normal", "distilled"), ("normal", "advtrain"), ("advtrain", "normal"), ("advtrain", "distilled")]
    mine = np.mean([fgsm[i("doubleback"), i(s), 2] for s, _ in pairs], 0)
    theirs = np.mean([fgsm[i(c), i(s), 2] for s, c in pairs], 0)
    assert np.allclose(out["correct_fgsm_eps0.4_doubleback_vs_others"], mine)
    assert np.allclose(out["correct_fgsm_eps0.4_others_vs_others"], theirs)
    fooled = np.mean([fgsm[i(c), i("doubleback"), 1] for _, c in pairs], 0)
    assert np.allclose(out["correct_fgsm_eps0.3_others_vs_doubleback"], fooled)
    nd = [i(m) for m in ("normal", "advtrain", "doubleback")]
    assert np.allclose(out["correct_clean_nondistilled"], fake["clean"][nd].mean(0), atol=1e-4)
    tgsm = fake["correct"]["tgsm"]
    assert np.allclose(out["correct_tgsm_eps0.3_nondistilled_vs_distilled"], tgsm[nd, i("distilled"), 1].mean(0),
                       atol=1e-4)
    unperturbed = fake["unperturbed"]["fgsm"][i("distilled"), 1]
    assert out["unperturbed_fgsm_eps0.3_distilled"] == unperturbed.astype(int).tolist()
    assert all(isinstance(v, int) for v in out["correct_fgsm_eps0.4_advtrain_vs_normal"])
    with pytest.raises(ValueError, match="0.4"):
        statement_arrays(fake["correct"], fake["unperturbed"], fake["clean"], fake["log_probs"], EVAL_MODELS,
                         [0.0, 0.3, 0.5])
    assert statement_epsilons() == [0.3, 0.4]


def test_nonpredicted_probability_is_finite_for_saturated_models():
    log_probs = np.log(np.array([[0.7, 0.2, 0.1], [0.05, 0.05, 0.9]]))
    assert np.allclose(nonpredicted_log10(log_probs), np.log10([0.3, 0.1]))
    logits = torch.tensor([[900.0, 0.0, 10.0]], dtype=torch.float64)  # a distilled model at T = 1
    value = nonpredicted_log10(F.log_softmax(logits, -1).numpy())
    assert np.isfinite(value).all() and value[0] == pytest.approx((np.logaddexp(10, 0) - 900) / np.log(10), abs=1e-9)


def test_evaluation_metrics_concatenate_seeds_and_are_deterministic():
    metrics, fakes = _fake_metrics([0.0, 0.3, 0.4], seeds=(0, 1), n=7)
    assert all(len(metrics[k]) == 14 for k in STATEMENT_KEYS)  # 7 images × 2 seeds, seed by seed
    i = EVAL_MODELS.index
    expected = [fakes[s]["correct"]["fgsm"][i("advtrain"), i("normal"), 2] for s in (0, 1)]
    assert metrics["correct_fgsm_eps0.4_advtrain_vs_normal"] == np.concatenate(expected).astype(int).tolist()
    assert len(metrics["fgsm_eps0.3_doubleback_vs_normal"]) == 2  # transfer entries: one accuracy per seed
    assert metrics["n_eval"]["clean_accuracy_normal"] == 256 and metrics["n_eval"]["tgsm_eps0.3_normal_vs_both"] == 7
    assert json.dumps(metrics) == json.dumps(_fake_metrics([0.0, 0.3, 0.4], seeds=(0, 1), n=7)[0])


@pytest.mark.parametrize("overlays", [[], ["smoke.yaml"]])
def test_every_adversarial_claim_metric_is_written_by_the_evaluation(overlays: list[str]):
    config = load_config(*(REPO / "config" / name for name in ["config.yaml", *overlays]))
    epsilons = config["adversarial"]["evaluation"]["epsilons"]
    metrics, _ = _fake_metrics(epsilons)
    assert ADV_CLAIMS
    for cid, claim in ADV_CLAIMS.items():
        for field in ("metric", "minus", "null_metric", "null_minus"):
            if claim.get(field):
                experiment, key = claim[field].split(":")
                assert experiment in ("adversarial/mnist", "adversarial/notmnist"), (cid, field)
                assert key in metrics, (cid, field, key)
        if claim.get("unit") == "examples" and claim.get("minus"):  # paired: the same images, element by element
            key, minus = claim["metric"].split(":")[1], claim["minus"].split(":")[1]
            assert len(metrics[key]) == len(metrics[minus]), cid
    statements = [c for c in ADV_CLAIMS if "_statement_" in c]
    assert len(statements) == 22 and all(ADV_CLAIMS[c]["unit"] == "examples" for c in statements)


# --- Table 2 --------------------------------------------------------------------------------------

def test_table2_scoring_from_answers():
    key = pd.DataFrame({"dataset": "mnist", "attack": "jsma", "order": [1, 2, 3, 4],
                        "model": ["normal", "normal", "doubleback", "doubleback"],
                        "target_label": ["3", "5", "7", "1"]})
    answers = pd.DataFrame({"subject": [1, 1, 1, 1, 2, 2, 2, 2], "dataset": "mnist", "order": [1, 2, 3, 4] * 2,
                            "most_plausible": ["8", "5", "7", "N/A", "8", "6", "7", "1"],
                            "second_most_plausible": ["9", "", "", "", "3", "", "", ""]})
    table = table2(key, answers).set_index("model")
    assert table.loc["normal", "human_fooled"] == 25.0  # 1 of 4 answers names the target first
    assert table.loc["normal", "mistake_reasonable"] == 50.0  # + one second choice
    assert table.loc["doubleback", "human_fooled"] == 75.0
    assert table.loc["doubleback", "mistake_reasonable"] == 100.0  # + one N/A
    assert math.isclose(table.loc["doubleback", "mistake_reasonable_given_not_fooled"], 100.0)
    assert 0 < table.loc["doubleback", "p_unreasonable_vs_normal"] <= 1
    assert table.loc["doubleback", "paper_human_fooled"] == 16.4
    empty = table2(key, None)
    assert (empty["n_answers"] == 0).all() and empty["human_fooled"].isna().all()
