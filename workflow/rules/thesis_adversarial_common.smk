# The thesis's chapter "Interpretability and Robustness" (Ross & Doshi-Velez, AAAI 2018), reference §5:
# CNNs trained normally, with defensive distillation, adversarial training, the "insensitive" and the
# double-backprop gradient penalties and both defenses; attacked with FGSM, TGSM, iterated TGSM and JSMA.
# data -> adversarial_train (per dataset and defense, every seed) -> adversarial_evaluate (per dataset) -> figures;
# adversarial_attack_grids and adversarial_table2_stimuli for the qualitative figures and the human study.
# Here: the chapter's settings (config section `adversarial`, checked at parse time) as ADV_* names, and the helpers
# its rules share. Its rules: rules/thesis_adversarial_train_attack.smk (data, training, attacks), then
# rules/thesis_adversarial_figures.smk (Figures 14-22, Table 2).
import numpy as np
from snakemake.logging import logger


def adv_figure_models(names):
    """Model names of the config's figure lists; "insensitive" is the reading the figures show."""
    return [ADV_INSENSITIVE_SHOWN if name == "insensitive" else name for name in names]


# The two readings of "insensitive" (rrr.adversarial.defenses.INSENSITIVE_VARIANTS, the keys the schema requires here;
# not imported, so parsing the rules does not import torch): the thesis text's certainty-insensitivity penalty
# (insensitive-cs) and the reference launcher's double backprop at the insensitive λ (insensitive-dbl).
INSENSITIVE_VARIANTS = sorted(ADV["insensitive"]["train"])
ADV_INSENSITIVE = [v for v in INSENSITIVE_VARIANTS if ADV["insensitive"]["train"][v]]
ADV_INSENSITIVE_SHOWN = ADV["insensitive"]["figures"]
if ADV_INSENSITIVE_SHOWN not in ADV_INSENSITIVE:
    raise ValueError(
        f"adversarial.insensitive.figures is {ADV_INSENSITIVE_SHOWN}, which adversarial.insensitive.train does not "
        f"train (it trains {ADV_INSENSITIVE}); train it or show one of those"
    )
# Models of the transfer matrices, in the reference's order (every trained reading of "insensitive"), plus
# "both defenses" (Fig 15).
ADV_MODELS = ["normal", "distilled", "advtrain", *ADV_INSENSITIVE, "doubleback", "both"]
# The reference's five models as the figures show them: its "insensitive" is the reading the figures show.
ADV_FIGURE_MODELS = ["normal", "distilled", "advtrain", ADV_INSENSITIVE_SHOWN, "doubleback"]
ADV_GRID_FIGURE_MODELS = adv_figure_models(ADV["figures"]["grid_models"])
ADV_TABLE2_MODELS = adv_figure_models(ADV["table2"]["models"])
ADV_DATASETS = [name for name, d in ADV["datasets"].items() if d["enabled"]]
ADV_SWITCHED_OFF = [name for name, d in ADV["datasets"].items() if not d["enabled"]]
ADV_GPU = 1 if ADV_DEVICE == "cuda" else 0
# adversarial.only (ADV_ONLY, rules/common.smk): the config builds the chapter alone (config/adversarial-paper.yaml):
# the default target and the claims cover only it.
if ADV_ONLY:
    logger.info(
        "adversarial.only: the default target builds the adversarial chapter alone (thesis_adversarial) and "
        "claims.csv judges only its claims"
    )


# An enabled dataset that cannot be had offline (SVHN) fails here, at parse time, with the fix.
for _name in ADV_DATASETS:
    _mirror = data_mirror()
    if (
        ADV["datasets"][_name]["source"] == "svhn"
        and not Path(f"{RAW}/svhn").exists()
        and _mirror
        and not (Path(_mirror) / "svhn").exists()
    ):
        raise ValueError(
            f"adversarial.datasets.{_name} (SVHN) is enabled, but SVHN is neither in {RAW}/svhn nor in the data "
            f"mirror {_mirror}. Download it online (unset the mirror, or run `python -m rrr.data.acquire svhn "
            f"{RAW}/svhn`), or set adversarial.datasets.{_name}.enabled: false."
        )
if ADV["figures"]["grid_seed"] not in ADV["seeds"]:
    raise ValueError(f"adversarial.figures.grid_seed must be one of adversarial.seeds {ADV['seeds']}")
if not set(ADV["figures"]["jsma_models"] + ADV["figures"]["tgsm_models"]) <= set(ADV["figures"]["grid_models"]):
    raise ValueError("adversarial.figures.jsma_models and tgsm_models must be among figures.grid_models")
for _key, _names in (("figures.grid_models", ADV_GRID_FIGURE_MODELS), ("table2.models", ADV_TABLE2_MODELS)):
    if not set(_names) <= set(ADV_MODELS):
        raise ValueError(f"adversarial.{_key} {_names} must be trained models, among {ADV_MODELS}")
if ADV["figures"]["second_dataset"] not in ADV["datasets"]:
    raise ValueError(f"adversarial.figures.second_dataset must be one of adversarial.datasets {list(ADV['datasets'])}")
if "mnist" in ADV_DATASETS and ADV["datasets"]["mnist"]["venn_eps"] not in ADV["evaluation"]["epsilons"]:
    raise ValueError("adversarial.datasets.mnist.venn_eps (Figure 16) must be one of evaluation.epsilons")
ADV_MODEL_PATH = f"{RESULTS}/models/adversarial/{{dataset}}/{{model}}-s{{seed}}.pt"
ADV_BATCHES = {d: s.get("batches") or ADV["train"]["batches"] for d, s in ADV["datasets"].items()}
ADV_GRID_MODELS = [
    f"{kind}@{lam:.6g}"
    for kind in ("doubleback", *ADV_INSENSITIVE)
    for lam in np.logspace(*ADV["lambda_grid"]["doubleback" if kind == "doubleback" else "insensitive"])
]
# λ of every model name: the configured (reference-selected) values, or the grid value after '@'.
ADV_LAMBDA = {
    d: {"doubleback": s["doubleback"], "both": s["doubleback"]}
    | {variant: s["insensitive"] for variant in INSENSITIVE_VARIANTS}
    | {m: float(m.split("@")[1]) for m in ADV_GRID_MODELS}
    for d, s in ADV["datasets"].items()
}
ADV_SOURCES = {d: ADV["datasets"][d]["source"] for d in ADV_DATASETS}
# The reference's transfer grids (§5.9) and the thesis's Table 2: config/reference/adversarial.yaml.
ADV_REFERENCE_FILE = f"{REFERENCE_DIR}/adversarial.yaml"
# The reference grid each dataset is compared with, if any.
ADV_REFERENCE = {
    d: {"mnist": "mnist", "notmnist_small_sample": "notmnist", "notmnist_small": "notmnist", "svhn": "svhn"}.get(s)
    for d, s in ADV_SOURCES.items()
}


# What a figure needs of the datasets that are switched on.
def adv_missing(datasets, jsma=False):
    """Why a figure that needs ``datasets`` (one row or panel each; their JSMA grids if ``jsma``) cannot be built,
    or None if it can."""
    off = [d for d in datasets if d not in ADV_DATASETS]
    if off:
        return f"it needs {', '.join(off)}, switched off (adversarial.datasets.<name>.enabled)"
    if not datasets:
        return "every adversarial dataset is switched off (adversarial.datasets.<name>.enabled)"
    if jsma and not set(datasets) <= set(ADV["figures"]["jsma_datasets"]):
        return f"it shows JSMA on {', '.join(datasets)}, not in adversarial.figures.jsma_datasets"
    return None


def adv_input(target, datasets, path, jsma=False):
    """An input function: ``path`` for each of ``datasets``, or, if one is off, an error naming the switch. Such a
    figure is left out of `thesis` and `all`; this stops only an explicit request, before anything is trained."""

    def paths(wildcards):
        missing = adv_missing(datasets, jsma)
        if missing:
            raise ValueError(f"{target} cannot be built: {missing}. Nothing is trained for it; switch them on.")
        return expand(path, dataset=datasets)

    return paths


def adv_wanted(target, datasets, jsma=False):
    """Whether a figure goes into `thesis` and `all`: only when every dataset it needs is on (else a log line)."""
    missing = adv_missing(datasets, jsma)
    if missing:
        logger.info(f"{target} is left out of `thesis` and `all`: {missing}")
    return not missing
