T2D_DATASETS = ["two-class", "three-class"]


rule toy2d_data:
    """The 2D two-class (x⁴ + y⁴ threshold) and three-class (curved regions) datasets of spec §1.5."""
    output:
        f"{RESULTS}/data/toy2d-{{dataset}}.npz",
    log:
        f"{RESULTS}/logs/toy2d_data/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/toy2d-data-{{dataset}}.tsv"
    wildcard_constraints:
        dataset="|".join(T2D_DATASETS),
    conda:
        "../../envs/rrr.yaml"
    params:
        seed=T2D["data_seed"],
        n=lambda w: T2D["n_two_class" if w.dataset == "two-class" else "n_three_class"],
    script:
        "../scripts/toy2d_data.py"


rule toy2d_train:
    """Train the paper's 50-30 MLP on one 2D dataset, every seed at once (stacked)."""
    input:
        rules.toy2d_data.output[0],
    output:
        **trained(
            "toy2d-train-{dataset}",
            model=f"{RESULTS}/models/toy2d/{{dataset}}.pt",
            history=f"{RESULTS}/models/toy2d/{{dataset}}-history.csv",
            metrics=f"{RESULTS}/metrics/toy2d/{{dataset}}.json",
        ),
    log:
        f"{RESULTS}/logs/toy2d_train/{{dataset}}.log",
    wildcard_constraints:
        dataset="|".join(T2D_DATASETS),
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
    params:
        device=DEVICE,
        seeds=T2D["seeds"],
        train=T2D["train"],
    script:
        "../scripts/toy2d_train.py"


rule toy2d_gradients:
    """Cache the seed-0 model's decision regions and ∇p̂_k, ∇log p̂_k, ∇Σ_k log p̂_k on a grid."""
    input:
        data=rules.toy2d_data.output[0],
        model=rules.toy2d_train.output.model,
    output:
        f"{RESULTS}/gradients/toy2d/{{dataset}}.npz",
    log:
        f"{RESULTS}/logs/toy2d_gradients/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/toy2d-gradients-{{dataset}}.tsv"
    wildcard_constraints:
        dataset="|".join(T2D_DATASETS),
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        quiver_points=T2D["quiver_points"],
        region_points=T2D["region_points"],
        scatter_points=T2D["scatter_points"],
    script:
        "../scripts/toy2d_gradients.py"


rule paper_fig01:
    """Figure 1: input gradients lie normal to the decision boundary (2D two- and three-class data)."""
    input:
        gradients=expand(rules.toy2d_gradients.output[0], dataset=T2D_DATASETS),
        metrics=expand(rules.toy2d_train.output.metrics, dataset=T2D_DATASETS),
    output:
        figure_report("paper", 1, "toy2d-gradients"),
    log:
        f"{RESULTS}/logs/paper_fig01.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        datasets=T2D_DATASETS,
        paper_train={d: paper_value(f"toy2d_{d.replace('-', '_')}_train") for d in T2D_DATASETS},
    script:
        "../scripts/paper_fig01.py"


PAPER_TARGETS += rules.paper_fig01.output
