# The adversarial chapter's data, CNN training and attacks (settings: rules/thesis_adversarial_common.smk):
# adversarial_data -> adversarial_train (per dataset and defense, every seed) -> adversarial_evaluate (per dataset); adversarial_attack_grids,
# adversarial_lambda_selection and adversarial_table2_stimuli for the qualitative figures, the λ grid and the human study.


rule adversarial_data:
    """One dataset of the adversarial chapter as train/validation/test arrays (reference §5.1)."""
    input:
        lambda w: f"{RAW}/{ADV['datasets'][w.dataset]['source']}",
    output:
        f"{RESULTS}/data/adversarial/{{dataset}}.npz",
    log:
        f"{RESULTS}/logs/adversarial_data/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adversarial-data-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    params:
        source=lambda w: ADV["datasets"][w.dataset]["source"],
        split_seed=ADV["split_seed"],
    script:
        "../scripts/adversarial_data.py"


rule adversarial_train:
    """Train one CNN per seed for one defense: Adam 2e-4, batch 256, sequential batches (§5.3). Each model has its
    own initial weights (rrr.adversarial.defenses.model_seed); a rerun after a kill resumes from <model>.pt.ckpt
    (§5.3's checkpoints every 2500 batches: adversarial.train.checkpoint_every). The checkpoints are not outputs:
    the cache stores the finished models only, and a job taken from it has nothing to resume."""
    input:
        data=rules.adversarial_data.output[0],
        teacher=lambda w: (
            [ADV_MODEL_PATH.format(dataset=w.dataset, model="teacher", seed=s) for s in ADV["seeds"]]
            if w.model == "distilled"
            else []
        ),
    output:
        **trained(
            "adversarial-train-{dataset}-{model}",
            sidecars=False,  # save_cnn keeps the architecture and info inside the .pt: no <model>.pt.json
            **numbered(
                "model", [ADV_MODEL_PATH.format(dataset="{dataset}", model="{model}", seed=s) for s in ADV["seeds"]]
            ),
            history=f"{RESULTS}/models/adversarial/{{dataset}}/{{model}}-history.csv",
            metrics=f"{RESULTS}/metrics/adversarial-train/{{dataset}}/{{model}}.json",
            timings=f"{RESULTS}/metrics/adversarial-train/{{dataset}}/{{model}}.timing.json",  # seconds: not metrics
        ),
    log:
        f"{RESULTS}/logs/adversarial_train/{{dataset}}-{{model}}.log",
    wildcard_constraints:
        model=r"normal|teacher|distilled|advtrain|insensitive-cs|insensitive-dbl|doubleback|both"
        r"|(doubleback|insensitive-cs|insensitive-dbl)@[0-9.e+]+",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(6000),
        runtime=per_attempt(lambda w: len(ADV["seeds"]) * (30 + ADV_BATCHES[w.dataset] // (10 if ADV_GPU else 2))),
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
        device=ADV_DEVICE,
        n_clean=ADV["evaluation"]["n_clean"],
    script:
        "../scripts/adversarial_train.py"


# adversarial.stack: every model of a dataset (every seed; the λ grid's stay with adversarial_train) in one job, as one
# stack (rrr.adversarial.stack), the distilled students after their teachers. It writes adversarial_train's files, so
# no rule downstream changes; the ruleorder picks it where both could. Not defined when off: today's jobs exactly.
if ADV_STACK:
    ADV_STACKED = ["teacher", *ADV_MODELS]  # the teacher first: the students learn its soft labels

    ruleorder: adversarial_train_stacked > adversarial_train

    rule adversarial_train_stacked:
        """Train every model of one dataset, every seed, as stacks (adversarial.stack): one stack per batch
        budget, then the distilled students; the same files as adversarial_train's per-defense jobs."""
        input:
            data=rules.adversarial_data.output[0],
        output:
            models=[
                ADV_MODEL_PATH.format(dataset="{dataset}", model=m, seed=s) for m in ADV_STACKED for s in ADV["seeds"]
            ],
            history=[f"{RESULTS}/models/adversarial/{{dataset}}/{m}-history.csv" for m in ADV_STACKED],
            metrics=[f"{RESULTS}/metrics/adversarial-train/{{dataset}}/{m}.json" for m in ADV_STACKED],
            timings=[f"{RESULTS}/metrics/adversarial-train/{{dataset}}/{m}.timing.json" for m in ADV_STACKED],
        log:
            f"{RESULTS}/logs/adversarial_train_stacked/{{dataset}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/adversarial-train-stacked-{{dataset}}.tsv"
        conda:
            "../../envs/rrr.yaml"
        threads: THREADS
        resources:
            mem_mb=per_attempt(6000 + 1000 * len(ADV_STACKED) * len(ADV["seeds"])),
            runtime=per_attempt(
                lambda w: len(ADV_STACKED)
                * len(ADV["seeds"])
                * (30 + ADV_BATCHES[w.dataset] // (10 if ADV_GPU else 2))
            ),
            gpu=ADV_GPU,
        params:
            models=ADV_STACKED,
            seeds=ADV["seeds"],
            lam=lambda w: {m: ADV_LAMBDA[w.dataset].get(m, 0.0) for m in ADV_STACKED},
            batches=lambda w: {
                m: (
                    min(ADV_BATCHES[w.dataset], ADV["teacher_max_batches"])
                    if m == "teacher"
                    else ADV_BATCHES[w.dataset]
                )
                for m in ADV_STACKED
            },
            n_train=lambda w: ADV["datasets"][w.dataset].get("n_train"),
            train={k: v for k, v in ADV["train"].items() if k != "checkpoint_every"},
            temperature=ADV["distill_temperature"],
            advtrain_eps=ADV["advtrain_eps"],
            device=ADV_DEVICE,
            n_clean=ADV["evaluation"]["n_clean"],
        script:
            "../scripts/adversarial_train_stacked.py"


rule adversarial_evaluate:
    """Attack every model of every seed (§5.7–5.8): FGSM and TGSM (y+1) examples from every model
    scored on every model; loss-gradient norms, log-probabilities and ∇Σ_k log p̂ images; per-seed
    metrics (the claims read them) and the transfer matrices as a CSV."""
    input:
        data=rules.adversarial_data.output[0],
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
        f"{RESULTS}/logs/adversarial_evaluate/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adversarial-evaluate-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        mem_mb=per_attempt(4000),
        gpu=ADV_GPU,
    params:
        models=ADV_MODELS,
        seeds=ADV["seeds"],
        statistics_seed=ADV["figures"]["grid_seed"],
        evaluation=ADV["evaluation"],
        device=ADV_DEVICE,
        occurrence=lambda w: 1 if ADV["datasets"][w.dataset]["source"] == "svhn" else 0,
    script:
        "../scripts/adversarial_evaluate.py"


rule adversarial_attack_grids:
    """Iterated TGSM (every dataset) and JSMA (when configured) from the first image of each class
    to every target, for the grid models of seed `grid_seed` (§5.7)."""
    input:
        data=rules.adversarial_data.output[0],
        models=lambda w: [
            ADV_MODEL_PATH.format(dataset=w.dataset, model=m, seed=ADV["figures"]["grid_seed"])
            for m in ADV_GRID_FIGURE_MODELS
        ],
    output:
        f"{RESULTS}/attacks/adversarial/{{dataset}}/grids.npz",
    log:
        f"{RESULTS}/logs/adversarial_attack_grids/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adversarial-attack-grids-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=ADV_GPU,
    params:
        models=ADV_GRID_FIGURE_MODELS,
        evaluation=ADV["evaluation"],
        iterations=lambda w: ADV["datasets"][w.dataset]["tgsm_display_iteration"],
        jsma=lambda w: w.dataset in ADV["figures"]["jsma_datasets"],
        device=ADV_DEVICE,
    script:
        "../scripts/adversarial_attack_grids.py"


rule adversarial_lambda_selection:
    """Optional λ grid (adversarial.lambda_grid.enabled): validation accuracy on clean and on the
    normal model's FGSM examples for every λ, and the λ the thesis's rule selects."""
    input:
        data=rules.adversarial_data.output[0],
        normal=lambda w: ADV_MODEL_PATH.format(dataset=w.dataset, model="normal", seed=ADV["figures"]["grid_seed"]),
        models=lambda w: [
            ADV_MODEL_PATH.format(dataset=w.dataset, model=m, seed=ADV["figures"]["grid_seed"])
            for m in ADV_GRID_MODELS
        ],
    output:
        f"{RESULTS}/tables/adversarial/{{dataset}}-lambda-selection.csv",
    log:
        f"{RESULTS}/logs/adversarial_lambda_selection/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adversarial-lambda-selection-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        models=ADV_GRID_MODELS,
        eps=ADV["lambda_grid"]["selection_eps"],
        min_relative_accuracy=ADV["lambda_grid"]["min_relative_accuracy"],
        device=ADV_DEVICE,
    script:
        "../scripts/adversarial_lambda_selection.py"


rule adversarial_table2_stimuli:
    """Table 2's stimuli: per model and original class, one JSMA (MNIST) or iterated-TGSM (SVHN)
    example drawn from the first `per_class` test images × the 9 other targets, in a shuffled order."""
    input:
        data=rules.adversarial_data.output[0],
        models=lambda w: [
            ADV_MODEL_PATH.format(dataset=w.dataset, model=m, seed=ADV["figures"]["grid_seed"])
            for m in ADV_TABLE2_MODELS
        ],
    output:
        directory(f"{RESULTS}/table2-stimuli/{{dataset}}"),
    log:
        f"{RESULTS}/logs/adversarial_table2_stimuli/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/adversarial-table2-stimuli-{{dataset}}.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=ADV_GPU,
    params:
        models=ADV_TABLE2_MODELS,
        per_class=ADV["table2"]["per_class"],
        seed=ADV["table2"]["seed"],
        attack=lambda w: "tgsm" if ADV["datasets"][w.dataset]["source"] == "svhn" else "jsma",
        evaluation=ADV["evaluation"],
        iterations=ADV["table2"]["tgsm_iterations"],
        device=ADV_DEVICE,
    script:
        "../scripts/adversarial_table2_stimuli.py"
