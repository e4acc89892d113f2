"""What the adversarial chapter's evaluation writes for the claims (``workflow/scripts/adversarial_evaluate.py``).

* :func:`evaluation_metrics`: per-seed lists of clean accuracy and every transfer entry
  (``{attack}_eps{ε}_{evaluated}_vs_{source}``, the accuracy of the evaluated model on the examples made
  from the source model's gradients), the share of unperturbed examples per source, the numbers of
  evaluated examples (``n_eval``) and the per-image statement arrays below, concatenated over seeds.
* :func:`statement_arrays`: per attacked image, exactly what the thesis's own statements about its
  Figures 14, 18 and 19 compare (config/claims/thesis_adversarial.yaml, ids ``adv_<dataset>_statement_*``),
  so that a claim can pair two arrays image by image (``metric`` − ``minus``, ``unit: examples``):

  - ``correct_{attack}_eps{ε}_{group}``: the share of the group's (evaluated, source) cells (:data:`GROUPS`)
    that classify the image correctly (0/1 for a single cell; ``clean`` = the unattacked image);
  - ``unperturbed_{attack}_eps{ε}_{source}``: 1 if the source model's example is the clean image itself
    (its loss gradient vanished: sign(0) = 0);
  - ``log10_nonpredicted_probability_{model}``: log₁₀ of the probability the model puts on all classes but
    its predicted one (Figure 19's bottom row, summed over the non-predicted classes).

The thesis compares four models (normal, distilled, adversarially trained and gradient-regularized, i.e.
double backprop: ``doubleback``); the statements use those four.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

# The ε of the statements: "higher ε" than the adversarial-training ε (thesis App. G.1.1: "adversarial training
# sometimes performs slightly better at ε = 0.3, the value we used in training, [but] gradient regularization
# generally surpasses it at higher ε") is the next one of the grid, 0.4; the others use the grid's middle
# ε = 0.3, the adversarial-training ε (and the matrix claims'). Both are in every profile's epsilons.
HIGH_EPS = 0.4
EPS = 0.3
# (source, competitor): other models' examples (the undefended and the adversarially trained model's; the
# distilled model's are unperturbed, see the distilled statements) and the other evaluated models.
OTHER_PAIRS = (("normal", "distilled"), ("normal", "advtrain"), ("advtrain", "normal"), ("advtrain", "distilled"))
NOT_DISTILLED = ("normal", "advtrain", "doubleback")
NONPREDICTED_MODELS = ("normal", "distilled", "doubleback")


def _key(attack: str, eps: float | None, group: str) -> str:
    return f"correct_clean_{group}" if attack == "clean" else f"correct_{attack}_eps{eps:g}_{group}"


def _groups() -> dict[str, tuple[tuple[str, float | None, str, str | None], ...]]:
    """Statement array name -> its (attack, ε, evaluated, source) cells; ``clean`` cells have no ε or source."""
    groups: dict[str, tuple] = {}

    def add(attack: str, eps: float | None, group: str, cells) -> None:
        groups[_key(attack, eps, group)] = tuple((attack, eps, e, s) for e, s in cells)

    # Black-box transfer at high ε: doubleback vs adversarial training on the undefended model's examples, and
    # doubleback vs every other model on the other models' examples.
    for evaluated in ("doubleback", "advtrain"):
        add("fgsm", HIGH_EPS, f"{evaluated}_vs_normal", [(evaluated, "normal")])
    add("fgsm", HIGH_EPS, "doubleback_vs_others", [("doubleback", s) for s, _ in OTHER_PAIRS])
    add("fgsm", HIGH_EPS, "others_vs_others", [(c, s) for s, c in OTHER_PAIRS])
    # White-box: each model on its own examples.
    for model in ("normal", "advtrain", "doubleback"):
        add("fgsm", EPS, f"{model}_vs_{model}", [(model, model)])
    # Doubleback's examples against the other models, vs the other models' examples against them.
    add("fgsm", EPS, "others_vs_doubleback", [(c, "doubleback") for _, c in OTHER_PAIRS])
    add("fgsm", EPS, "others_vs_others", [(c, s) for s, c in OTHER_PAIRS])
    # The distilled model's FGSM and TGSM examples against the other models, and their clean images.
    for attack in ("fgsm", "tgsm"):
        add(attack, EPS, "nondistilled_vs_distilled", [(m, "distilled") for m in NOT_DISTILLED])
    add("clean", None, "nondistilled", [(m, None) for m in NOT_DISTILLED])
    return groups


GROUPS = _groups()
UNPERTURBED = tuple(f"unperturbed_{attack}_eps{EPS:g}_distilled" for attack in ("fgsm", "tgsm"))
NONPREDICTED = tuple(f"log10_nonpredicted_probability_{m}" for m in NONPREDICTED_MODELS)
STATEMENT_KEYS = (*GROUPS, *UNPERTURBED, *NONPREDICTED)


def statement_epsilons() -> list[float]:
    """The ε the statement arrays need among ``adversarial.evaluation.epsilons``."""
    return sorted({eps for cells in GROUPS.values() for _, eps, _, _ in cells if eps is not None})


def nonpredicted_log10(log_probs: np.ndarray) -> np.ndarray:
    """Per row of log-probabilities, log₁₀ of the total probability of every class but the argmax."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    others = log_probs.copy()
    others[np.arange(len(others)), log_probs.argmax(1)] = -np.inf
    top = others.max(1, keepdims=True)
    return (top[:, 0] + np.log(np.exp(others - top).sum(1))) / np.log(10)


def _eps_index(epsilons: Sequence[float], eps: float) -> int:
    matches = [i for i, e in enumerate(epsilons) if abs(float(e) - eps) < 1e-9]
    if not matches:
        raise ValueError(f"the thesis statements need ε = {eps:g} among adversarial.evaluation.epsilons {epsilons}")
    return matches[0]


def statement_arrays(
    correct: Mapping[str, np.ndarray],
    unperturbed: Mapping[str, np.ndarray],
    clean: np.ndarray,
    log_probs: Mapping[str, np.ndarray],
    models: Sequence[str],
    epsilons: Sequence[float],
) -> dict[str, list]:
    """One seed's per-image statement arrays (module docstring), each of length n (the attacked images).

    ``correct[attack]``: boolean ``[evaluated, source, ε, image]`` and ``unperturbed[attack]``: boolean
    ``[source, ε, image]`` (:func:`rrr.adversarial.attacks.transfer_accuracies`, models in ``models`` order);
    ``clean``: boolean ``[model, image]``, each model right on the unattacked image; ``log_probs[model]``:
    ``[image, class]``. Shares of single cells are ints 0/1, of groups rounded to 4 decimals; log₁₀
    probabilities rounded to 3 decimals (JSON stays compact and byte-identical for the same run).
    """
    index = {m: i for i, m in enumerate(models)}
    out: dict[str, list] = {}
    for key, cells in GROUPS.items():
        rows = []
        for attack, eps, evaluated, source in cells:
            if attack == "clean":
                rows.append(np.asarray(clean)[index[evaluated]])
            else:
                rows.append(np.asarray(correct[attack])[index[evaluated], index[source], _eps_index(epsilons, eps)])
        share = np.mean(np.stack(rows).astype(float), 0)
        out[key] = share.astype(int).tolist() if len(rows) == 1 else np.round(share, 4).tolist()
    for key, attack in zip(UNPERTURBED, ("fgsm", "tgsm")):
        out[key] = np.asarray(unperturbed[attack])[index["distilled"], _eps_index(epsilons, EPS)].astype(int).tolist()
    for key, model in zip(NONPREDICTED, NONPREDICTED_MODELS):
        out[key] = np.round(nonpredicted_log10(log_probs[model]), 3).tolist()
    n = {len(v) for v in out.values()}
    if len(n) != 1:
        raise ValueError(f"statement arrays of different lengths {sorted(n)}")
    return out


def evaluation_metrics(
    *,
    dataset: str,
    models: Sequence[str],
    seeds: Sequence[int],
    epsilons: Sequence[float],
    n_attack: int,
    train: Mapping[str, Mapping],
    accuracy: Mapping[str, np.ndarray],
    unperturbed: Mapping[str, np.ndarray],
    statements: Sequence[Mapping[str, list]],
) -> tuple[dict, list[dict]]:
    """The dataset's metrics JSON (the claims read it) and the rows of its transfer table.

    ``train[model]``: that model's adversarial_train metrics (per-seed ``clean_accuracy``; ``batches``, ``n_clean``);
    ``accuracy[attack]``: ``[seed, evaluated, source, ε]``; ``unperturbed[attack]``: boolean
    ``[seed, source, ε, image]``; ``statements``: :func:`statement_arrays` per seed, concatenated here in seed
    order.
    """
    metrics: dict = {"dataset": dataset, "seeds": list(seeds), "models": list(models),
                     "epsilons": list(epsilons), "n_attack": int(n_attack)}
    n_eval: dict = {}
    for name in models:  # no training seconds: they depend on the machine (adversarial_train's timings file has them)
        metrics[f"clean_accuracy_{name}"] = list(train[name]["clean_accuracy"])
        metrics[f"batches_{name}"] = train[name]["batches"]
        if train[name].get("n_clean") is not None:
            n_eval[f"clean_accuracy_{name}"] = int(train[name]["n_clean"])
    rows = []
    for attack in ("fgsm", "tgsm"):
        acc, share = np.asarray(accuracy[attack]), np.asarray(unperturbed[attack]).mean(-1)
        for e, eps in enumerate(epsilons):
            for j, source in enumerate(models):
                key = f"{attack}_eps{eps:g}_unperturbed_{source}"
                metrics[key], n_eval[key] = share[:, j, e].tolist(), int(n_attack)
                for i, evaluated in enumerate(models):
                    values = acc[:, i, j, e]
                    key = f"{attack}_eps{eps:g}_{evaluated}_vs_{source}"
                    metrics[key], n_eval[key] = values.tolist(), int(n_attack)
                    rows.append({"attack": attack, "evaluated": evaluated, "source": source, "eps": eps,
                                 "mean": values.mean(), "sd": values.std(ddof=1) if len(values) > 1 else 0.0,
                                 **{f"seed{s}": v for s, v in zip(seeds, values)}})
    for key in STATEMENT_KEYS:
        metrics[key] = [v for per_seed in statements for v in per_seed[key]]
    metrics["n_eval"] = n_eval
    metrics["statement_cells"] = {
        key: [f"{e} on {s}'s {a}" if a != "clean" else f"{e} on the clean image" for a, _, e, s in cells]
        for key, cells in GROUPS.items()
    }
    return metrics, rows
