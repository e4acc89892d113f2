# The thesis's chapter "Interpretability and Robustness" (Ross & Doshi-Velez, AAAI 2018), reference §5:
# CNNs trained normally, with defensive distillation, adversarial training, the "insensitive" and the
# double-backprop gradient penalties and both defenses; attacked with FGSM, TGSM, iterated TGSM and JSMA.
# data -> adv_train (per dataset and defense, every seed) -> adv_evaluate (per dataset) -> figures;
# adv_attack_grids and adv_table2_stimuli for the qualitative figures and the human study.
import numpy as np
from snakemake.logging import logger

from rrr.defenses import INSENSITIVE_VARIANTS
from rrr.reference import load as load_reference


include: "thesis_adversarial_common.smk"


validate(config["adversarial"], "../schemas/adversarial.schema.yaml")
ADV = config["adversarial"]
# The two readings of "insensitive" (rrr.defenses): the thesis text's certainty-insensitivity penalty
# (insensitive-cs) and the reference launcher's double backprop at the insensitive λ (insensitive-dbl).
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
ADV_GPU = 1 if ADV["device"] == "cuda" else 0
# adversarial.only: the config builds the chapter alone (config/adversarial-paper.yaml): the default target
# and the claims cover only it (rules/common.smk, Snakefile).
ADV_ONLY = ADV["only"]
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


rule adv_data:
    """One dataset of the adversarial chapter as train/validation/test arrays (reference §5.1)."""
    input:
        lambda w: f"{RAW}/{ADV['datasets'][w.dataset]['source']}",
    output:
        f"{RESULTS}/data/adversarial/{{dataset}}.npz",
    log:
        f"{RESULTS}/logs/adv_data/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adv-data-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    params:
        source=lambda w: ADV["datasets"][w.dataset]["source"],
        split_seed=ADV["split_seed"],
    script:
        "../scripts/adv_data.py"


rule adv_train:
    """Train one CNN per seed for one defense: Adam 2e-4, batch 256, sequential batches (§5.3). Each model has its
    own initial weights (rrr.defenses.model_seed); a rerun after a kill resumes from <model>.pt.ckpt (§5.3's
    checkpoints every 2500 batches: adversarial.train.checkpoint_every)."""
    input:
        data=rules.adv_data.output[0],
        teacher=lambda w: (
            [ADV_MODEL_PATH.format(dataset=w.dataset, model="teacher", seed=s) for s in ADV["seeds"]]
            if w.model == "distilled"
            else []
        ),
    output:
        models=[ADV_MODEL_PATH.format(dataset="{dataset}", model="{model}", seed=s) for s in ADV["seeds"]],
        history=f"{RESULTS}/models/adversarial/{{dataset}}/{{model}}-history.csv",
        metrics=f"{RESULTS}/metrics/adversarial-train/{{dataset}}/{{model}}.json",
        timings=f"{RESULTS}/metrics/adversarial-train/{{dataset}}/{{model}}.timing.json",  # seconds: not metrics
    log:
        f"{RESULTS}/logs/adv_train/{{dataset}}-{{model}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adversarial-train-{{dataset}}-{{model}}.tsv"
    wildcard_constraints:
        model=r"normal|teacher|distilled|advtrain|insensitive-cs|insensitive-dbl|doubleback|both"
        r"|(doubleback|insensitive-cs|insensitive-dbl)@[0-9.e+]+",
    conda:
        "../../envs/rrr.yaml"
    threads: config["threads"]
    resources:
        mem_mb=6000,
        runtime=lambda w: len(ADV["seeds"]) * (30 + ADV_BATCHES[w.dataset] // (10 if ADV_GPU else 2)),
        gpu=ADV_GPU,
    params:
        seeds=ADV["seeds"],
        defense=lambda w: w.model.split("@")[0],
        lam=lambda w: ADV_LAMBDA[w.dataset].get(w.model, 0.0),
        batches=lambda w: (
            min(ADV_BATCHES[w.dataset], ADV["teacher_max_batches"]) if w.model == "teacher" else ADV_BATCHES[w.dataset]
        ),
        n_train=lambda w: ADV["datasets"][w.dataset].get("n_train"),
        # checkpoint_every does not change the result: not a param, so changing it retrains nothing
        train={k: v for k, v in ADV["train"].items() if k != "checkpoint_every"},
        temperature=ADV["distill_temperature"],
        advtrain_eps=ADV["advtrain_eps"],
        device=ADV["device"],
        n_clean=ADV["evaluation"]["n_clean"],
    script:
        "../scripts/adv_train.py"


rule adv_evaluate:
    """Attack every model of every seed (§5.7–5.8): FGSM and TGSM (y+1) examples from every model
    scored on every model; loss-gradient norms, log-probabilities and ∇Σ_k log p̂ images; per-seed
    metrics (the claims read them) and the transfer matrices as a CSV."""
    input:
        data=rules.adv_data.output[0],
        models=lambda w: [
            ADV_MODEL_PATH.format(dataset=w.dataset, model=m, seed=s) for m in ADV_MODELS for s in ADV["seeds"]
        ],
        train=lambda w: [f"{RESULTS}/metrics/adversarial-train/{w.dataset}/{m}.json" for m in ADV_MODELS],
    output:
        transfer=f"{RESULTS}/attacks/adversarial/{{dataset}}/transfer.npz",
        statistics=f"{RESULTS}/gradients/adversarial/{{dataset}}/statistics.npz",
        metrics=f"{RESULTS}/metrics/adversarial/{{dataset}}.json",
        table=f"{RESULTS}/tables/adversarial/{{dataset}}-transfer.csv",
    log:
        f"{RESULTS}/logs/adv_evaluate/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adv-evaluate-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: config["threads"]
    resources:
        mem_mb=4000,
        gpu=ADV_GPU,
    params:
        models=ADV_MODELS,
        seeds=ADV["seeds"],
        statistics_seed=ADV["figures"]["grid_seed"],
        evaluation=ADV["evaluation"],
        device=ADV["device"],
        occurrence=lambda w: 1 if ADV["datasets"][w.dataset]["source"] == "svhn" else 0,
    script:
        "../scripts/adv_evaluate.py"


rule adv_attack_grids:
    """Iterated TGSM (every dataset) and JSMA (when configured) from the first image of each class
    to every target, for the grid models of seed `grid_seed` (§5.7)."""
    input:
        data=rules.adv_data.output[0],
        models=lambda w: [
            ADV_MODEL_PATH.format(dataset=w.dataset, model=m, seed=ADV["figures"]["grid_seed"])
            for m in ADV_GRID_FIGURE_MODELS
        ],
    output:
        f"{RESULTS}/attacks/adversarial/{{dataset}}/grids.npz",
    log:
        f"{RESULTS}/logs/adv_attack_grids/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adv-attack-grids-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: config["threads"]
    resources:
        gpu=ADV_GPU,
    params:
        models=ADV_GRID_FIGURE_MODELS,
        evaluation=ADV["evaluation"],
        iterations=lambda w: ADV["datasets"][w.dataset]["tgsm_display_iteration"],
        jsma=lambda w: w.dataset in ADV["figures"]["jsma_datasets"],
        device=ADV["device"],
    script:
        "../scripts/adv_attack_grids.py"


rule adv_lambda_selection:
    """Optional λ grid (adversarial.lambda_grid.enabled): validation accuracy on clean and on the
    normal model's FGSM examples for every λ, and the λ the thesis's rule selects."""
    input:
        data=rules.adv_data.output[0],
        normal=lambda w: ADV_MODEL_PATH.format(dataset=w.dataset, model="normal", seed=ADV["figures"]["grid_seed"]),
        models=lambda w: [
            ADV_MODEL_PATH.format(dataset=w.dataset, model=m, seed=ADV["figures"]["grid_seed"])
            for m in ADV_GRID_MODELS
        ],
    output:
        f"{RESULTS}/tables/adversarial/{{dataset}}-lambda-selection.csv",
    log:
        f"{RESULTS}/logs/adv_lambda_selection/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adv-lambda-selection-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: config["threads"]
    params:
        models=ADV_GRID_MODELS,
        eps=ADV["lambda_grid"]["selection_eps"],
        min_relative_accuracy=ADV["lambda_grid"]["min_relative_accuracy"],
        device=ADV["device"],
    script:
        "../scripts/adv_lambda_selection.py"


for _number, _attack, _slug in ((14, "fgsm", "fgsm-transfer"), (18, "tgsm", "tgsm-transfer")):

    rule:
        name:
            f"thesis_fig{_number}"
        input:
            metrics=adv_input(f"thesis_fig{_number}", ADV_DATASETS, rules.adv_evaluate.output.metrics),
            reference=ADV_REFERENCE_FILE,
        output:
            report(
                figure("thesis", _number, _slug)[0],
                caption=f"../report/thesis-fig{_number}.rst",
                category="Thesis",
                subcategory=f"Figure {_number}",
            ),
            figure("thesis", _number, _slug)[1],
            report(
                f"{RESULTS}/tables/thesis-fig{_number}-{_slug}.csv",
                caption=f"../report/thesis-fig{_number}.rst",
                category="Thesis",
                subcategory=f"Figure {_number}",
            ),
        log:
            f"{RESULTS}/logs/thesis_fig{_number}.log",
        conda:
            "../../envs/rrr.yaml"
        params:
            attack=_attack,
            datasets=ADV_DATASETS,
            switched_off=ADV_SWITCHED_OFF,
            sources=ADV_SOURCES,
            references=ADV_REFERENCE,
            models=ADV_FIGURE_MODELS,
            insensitive=ADV_INSENSITIVE_SHOWN,
            epsilons=ADV["evaluation"]["epsilons"],
        script:
            f"../scripts/thesis_fig{_number}.py"


rule thesis_fig15:
    """Figure 15: "both defenses" (double backprop + adversarial training) on the second dataset."""
    input:
        metrics=adv_input("thesis_fig15", [ADV["figures"]["second_dataset"]], rules.adv_evaluate.output.metrics),
    output:
        report(
            figure("thesis", 15, "both-defenses")[0],
            caption="../report/thesis-fig15.rst",
            category="Thesis",
            subcategory="Figure 15",
        ),
        figure("thesis", 15, "both-defenses")[1],
    log:
        f"{RESULTS}/logs/thesis_fig15.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        dataset=ADV["figures"]["second_dataset"],
        source=ADV["datasets"][ADV["figures"]["second_dataset"]]["source"],
        models=["normal", "advtrain", "doubleback", "both"],
        epsilons=ADV["evaluation"]["epsilons"],
    script:
        "../scripts/thesis_fig15.py"


rule thesis_fig16:
    """Figure 16: which MNIST FGSM examples fool normal, advtrain and doubleback (Venn)."""
    input:
        transfer=adv_input("thesis_fig16", ["mnist"], rules.adv_evaluate.output.transfer),
    output:
        report(
            figure("thesis", 16, "fgsm-venn")[0],
            caption="../report/thesis-fig16.rst",
            category="Thesis",
            subcategory="Figure 16",
        ),
        figure("thesis", 16, "fgsm-venn")[1],
    log:
        f"{RESULTS}/logs/thesis_fig16.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        eps=ADV["datasets"]["mnist"]["venn_eps"],
        models=["normal", "advtrain", "doubleback"],
    script:
        "../scripts/thesis_fig16.py"


rule thesis_fig19:
    """Figure 19: distributions of loss-gradient norms and log-probabilities per defense (MNIST)."""
    input:
        statistics=adv_input("thesis_fig19", ["mnist"], rules.adv_evaluate.output.statistics),
    output:
        report(
            figure("thesis", 19, "gradient-distributions")[0],
            caption="../report/thesis-fig19.rst",
            category="Thesis",
            subcategory="Figure 19",
        ),
        figure("thesis", 19, "gradient-distributions")[1],
    log:
        f"{RESULTS}/logs/thesis_fig19.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        models=ADV_FIGURE_MODELS,
        insensitive=ADV_INSENSITIVE_SHOWN,
        floor=ADV["evaluation"]["gradient_floor"],
    script:
        "../scripts/thesis_fig19.py"


rule thesis_fig20:
    """Figure 20: JSMA turning MNIST 0s and 1s into every digit."""
    input:
        grids=adv_input("thesis_fig20", ["mnist"], rules.adv_attack_grids.output[0], jsma=True),
    output:
        report(
            figure("thesis", 20, "jsma-grids")[0],
            caption="../report/thesis-fig20.rst",
            category="Thesis",
            subcategory="Figure 20",
        ),
        figure("thesis", 20, "jsma-grids")[1],
    log:
        f"{RESULTS}/logs/thesis_fig20.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        models=adv_figure_models(ADV["figures"]["jsma_models"]),
        rows=[0, 1],
    script:
        "../scripts/thesis_fig20.py"


rule thesis_fig21:
    """Figure 21: iterated-TGSM confusion grids per dataset and model."""
    input:
        grids=adv_input("thesis_fig21", ADV_DATASETS, rules.adv_attack_grids.output[0]),
    output:
        report(
            figure("thesis", 21, "iterated-tgsm-grids")[0],
            caption="../report/thesis-fig21.rst",
            category="Thesis",
            subcategory="Figure 21",
        ),
        figure("thesis", 21, "iterated-tgsm-grids")[1],
    log:
        f"{RESULTS}/logs/thesis_fig21.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        datasets=ADV_DATASETS,
        switched_off=ADV_SWITCHED_OFF,
        sources=ADV_SOURCES,
        models=adv_figure_models(ADV["figures"]["tgsm_models"]),
        insensitive=ADV_INSENSITIVE_SHOWN,
    script:
        "../scripts/thesis_fig21.py"


rule thesis_fig22:
    """Figure 22: input gradients ∇Σ_k log p̂ of each defense on one test image per class 0–5."""
    input:
        statistics=adv_input("thesis_fig22", ADV_DATASETS, rules.adv_evaluate.output.statistics),
    output:
        report(
            figure("thesis", 22, "input-gradients")[0],
            caption="../report/thesis-fig22.rst",
            category="Thesis",
            subcategory="Figure 22",
        ),
        figure("thesis", 22, "input-gradients")[1],
    log:
        f"{RESULTS}/logs/thesis_fig22.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        datasets=ADV_DATASETS,
        switched_off=ADV_SWITCHED_OFF,
        sources=ADV_SOURCES,
        models=ADV_FIGURE_MODELS,
        insensitive=ADV_INSENSITIVE_SHOWN,
    script:
        "../scripts/thesis_fig22.py"


rule adv_table2_stimuli:
    """Table 2's stimuli: per model and original class, one JSMA (MNIST) or iterated-TGSM (SVHN)
    example drawn from the first `per_class` test images × the 9 other targets, in a shuffled order."""
    input:
        data=rules.adv_data.output[0],
        models=lambda w: [
            ADV_MODEL_PATH.format(dataset=w.dataset, model=m, seed=ADV["figures"]["grid_seed"])
            for m in ADV_TABLE2_MODELS
        ],
    output:
        directory(f"{RESULTS}/table2-stimuli/{{dataset}}"),
    log:
        f"{RESULTS}/logs/adv_table2_stimuli/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adv-table2-stimuli-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: config["threads"]
    resources:
        gpu=ADV_GPU,
    params:
        models=ADV_TABLE2_MODELS,
        per_class=ADV["table2"]["per_class"],
        seed=ADV["table2"]["seed"],
        attack=lambda w: "tgsm" if ADV["datasets"][w.dataset]["source"] == "svhn" else "jsma",
        evaluation=ADV["evaluation"],
        iterations=ADV["table2"]["tgsm_iterations"],
        device=ADV["device"],
    script:
        "../scripts/adv_table2_stimuli.py"


# Table 2's stimuli come from the table2.datasets that are on (the others are left out, and the caption says so).
ADV_TABLE2_DATASETS = [d for d in ADV["table2"]["datasets"] if d in ADV_DATASETS]


rule thesis_table2:
    """Table 2: the human study scored from a CSV of answers (paper values beside; empty without answers)."""
    input:
        stimuli=adv_input(
            "thesis_table2", ADV_TABLE2_DATASETS or ADV["table2"]["datasets"], rules.adv_table2_stimuli.output[0]
        ),
        answers=ADV["table2"]["answers"] or [],
        reference=ADV_REFERENCE_FILE,
    output:
        report(
            table("thesis", 2, "human-study"),
            caption="../report/thesis-table2.rst",
            category="Thesis",
            subcategory="Table 2",
        ),
    log:
        f"{RESULTS}/logs/thesis_table2.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        datasets=ADV_TABLE2_DATASETS,
        switched_off=[d for d in ADV["table2"]["datasets"] if d not in ADV_DATASETS],
        paper=load_reference("adversarial", REFERENCE_DIR)["human_study"],
    script:
        "../scripts/thesis_table2.py"


# Every figure goes into `thesis` (and `all`) when the datasets it needs are on; the others are left out with a
# log line and nothing is trained for them (a figure with a row per dataset just drops the rows of those off).
ADV_TARGET_RULES = [
    (rules.thesis_fig14, adv_wanted("thesis_fig14", ADV_DATASETS)),
    (rules.thesis_fig15, adv_wanted("thesis_fig15", [ADV["figures"]["second_dataset"]])),
    (rules.thesis_fig16, adv_wanted("thesis_fig16", ["mnist"])),
    (rules.thesis_fig18, adv_wanted("thesis_fig18", ADV_DATASETS)),
    (rules.thesis_fig19, adv_wanted("thesis_fig19", ["mnist"])),
    (rules.thesis_fig20, adv_wanted("thesis_fig20", ["mnist"], jsma=True)),
    (rules.thesis_fig21, adv_wanted("thesis_fig21", ADV_DATASETS)),
    (rules.thesis_fig22, adv_wanted("thesis_fig22", ADV_DATASETS)),
    (rules.thesis_table2, adv_wanted("thesis_table2", ADV_TABLE2_DATASETS or ADV["table2"]["datasets"])),
]
ADV_TARGETS = [path for rule, wanted in ADV_TARGET_RULES if wanted for path in rule.output]
if ADV["lambda_grid"]["enabled"]:
    ADV_TARGETS += expand(rules.adv_lambda_selection.output[0], dataset=ADV_DATASETS)
THESIS_TARGETS += ADV_TARGETS


rule thesis_adversarial:
    """The adversarial chapter alone (every figure and table of it whose datasets are on)."""
    input:
        ADV_TARGETS,


localrules:
    thesis_adversarial,
