import numpy as np

from rrr.pipeline.reference import load as load_reference

TC_CONDITIONS = ["plain", "rule1", "rule2", "neither"]
TC_LESS_DATA = ["plain", "pro_rule1", "anti_rule1", "pro_rule2", "anti_rule2"]
TC_SIZES = [int(n) for n in np.logspace(**TC["less_data"]["sizes"]).astype(int)]
TC_MODELS = f"{RESULTS}/models/toy-color"
TC_METRICS = f"{RESULTS}/metrics/toy-color"
# The notebook's "extra data the normal model needs" per accuracy level (spec §4.3) and the authors' stored
# models' test accuracy (Figure 12's crosses): config/reference/toy_color.yaml.
TC_REFERENCE_FILE = f"{REFERENCE_DIR}/toy_color.yaml"
TC_REFERENCE = load_reference("toy_color", REFERENCE_DIR)


TC_L1 = {"plain": 0.0, "rule1": TC["l1"], "rule2": TC["l1"], "neither": TC["l1_neither"]}


rule toy_color_data:
    """Toy Color (Sec. 3.1): 5×5 RGB images, label 0 = both rules hold, label 1 = neither."""
    output:
        f"{RESULTS}/data/toy-color.npz",
    log:
        f"{RESULTS}/logs/toy_color_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/toy-color-data.tsv"
    conda:
        "../../envs/rrr.yaml"
    params:
        n_train=TC["n_train"],
        n_test=TC["n_test"],
        train_seed=TC["train_data_seed"],
        test_seed=TC["test_data_seed"],
    script:
        "../scripts/toy_color_data.py"


rule toy_color_train:
    """Train the plain / rule-1 / rule-2 / "neither" models of one condition, every seed at once."""
    input:
        data=rules.toy_color_data.output[0],
    output:
        **trained(
            "toy-color-train-{condition}",
            model=f"{TC_MODELS}/{{condition}}.pt",
            history=f"{TC_MODELS}/{{condition}}-history.csv",
            metrics=f"{TC_METRICS}/{{condition}}.json",
        ),
    log:
        f"{RESULTS}/logs/toy_color_train/{{condition}}.log",
    wildcard_constraints:
        condition="|".join(TC_CONDITIONS),
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        device=DEVICE,
        seeds=TC["seeds"],
        l1=lambda w: TC_L1[w.condition],
        train=TC["train"],
        cutoff=TC["cutoff"],
        score_rows=TC["score_rows"],
    script:
        "../scripts/toy_color_train.py"


rule toy_color_lime:
    """Table 1, Toy Color: LIME tabular vs input gradients on Xt[0:25]; caches both explanations for Figure 2."""
    input:
        data=rules.toy_color_data.output[0],
        model=f"{TC_MODELS}/plain.pt",
    output:
        timing=f"{RESULTS}/metrics/timing/toy-color.json",
        lime=f"{RESULTS}/explanations/toy-color/lime.npz",
    log:
        f"{RESULTS}/logs/toy_color_lime.log",
    benchmark:
        f"{RESULTS}/benchmarks/toy-color-lime.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: 1
    resources:
        runtime=per_attempt(30),
    params:
        repeats=TABLE1_REPEATS,  # each Table 1 cell timed this many times: its spread is the error
        lime=TC["lime"],
        cutoff=TC["cutoff"],
    script:
        "../scripts/toy_color_lime.py"


rule toy_color_fae:
    """Find-another-explanation (Sec. 3.1, Fig. 4): θ0 (A = 0), θ1 (λ1 = 1e3), θ2 (λ1 = 1e6), all seeds stacked."""
    input:
        data=rules.toy_color_data.output[0],
    output:
        **trained(
            "toy-color-fae",
            **numbered("model", [f"{TC_MODELS}/fae-theta{i}.pt" for i in range(TC["fae"]["rounds"])]),
            metrics=f"{TC_METRICS}/fae.json",
            gradients=f"{RESULTS}/gradients/toy-color/fae.npz",
        ),
    log:
        f"{RESULTS}/logs/toy_color_fae.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        device=DEVICE,
        seeds=TC["fae"]["seeds"],
        rounds=TC["fae"]["rounds"],
        l1=[TC["l1"], TC["l1_neither"]][: TC["fae"]["rounds"] - 1],
        train=TC["train"],
        cutoff=TC["cutoff"],
        score_rows=TC["score_rows"],
        grid_rows=TC["fae"]["grid_rows"],
    script:
        "../scripts/toy_color_fae.py"


TC_TRANSITION_PARAMS = dict(
    seeds=TC["transitions"]["seeds"],
    train=TC["train"],
    cutoff=TC["cutoff"],
    score_rows=TC["score_rows"],
)


rule toy_color_l1_sweep:
    """Fig. 3 left: 50 values of λ1 with A = corners on all rows, one stacked training."""
    input:
        data=rules.toy_color_data.output[0],
    output:
        **trained(
            "toy-color-l1-sweep",
            model=f"{TC_MODELS}/l1-sweep.pt",
            metrics=f"{TC_METRICS}/l1-sweep.json",
        ),
    log:
        f"{RESULTS}/logs/toy_color_l1_sweep.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=per_attempt(3000),
        runtime=per_attempt(60),
    params:
        **TC_TRANSITION_PARAMS,
        device=DEVICE,
        sweep="l1",
        grid=TC["transitions"]["l1_exponents"],
        l1=None,
    script:
        "../scripts/toy_color_transitions.py"


rule toy_color_count_sweep:
    """Fig. 3 right: A = corners on the first n rows for 45 values of n (λ1 = 1000), one stacked training."""
    input:
        data=rules.toy_color_data.output[0],
    output:
        **trained(
            "toy-color-count-sweep",
            model=f"{TC_MODELS}/count-sweep.pt",
            metrics=f"{TC_METRICS}/count-sweep.json",
        ),
    log:
        f"{RESULTS}/logs/toy_color_count_sweep.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: 1
    resources:
        gpu=GPU,
        mem_mb=per_attempt(4000),
        runtime=per_attempt(60),
    params:
        **TC_TRANSITION_PARAMS,
        device=DEVICE,
        sweep="count",
        grid=TC["transitions"]["count_exponents"],
        l1=TC["transitions"]["count_l1"],
    script:
        "../scripts/toy_color_transitions.py"


rule toy_color_always_include:
    """Fig. 3 right, second curve: n annotated rows appended to every minibatch (seeds stacked)."""
    input:
        data=rules.toy_color_data.output[0],
    output:
        **trained(
            "toy-color-always-include-{n}",
            model=f"{TC_MODELS}/always-include/n{{n}}.pt",
            metrics=f"{TC_METRICS}/always-include/n{{n}}.json",
        ),
    log:
        f"{RESULTS}/logs/toy_color_always_include/{{n}}.log",
    wildcard_constraints:
        n=r"\d+",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: 1
    resources:
        gpu=GPU,
        runtime=per_attempt(30),
    params:
        **dict(TC_TRANSITION_PARAMS, seeds=TC["transitions"]["always_include_seeds"]),
        device=DEVICE,
        sweep="always_include",
        grid=None,
        l1=TC["transitions"]["count_l1"],
    script:
        "../scripts/toy_color_transitions.py"


rule toy_color_less_data:
    """Fig. 12 at one training size: A = 0, Pro/Anti-Rule 1, Pro/Anti-Rule 2 × seeds, one stacked training."""
    input:
        data=rules.toy_color_data.output[0],
    output:
        **trained(
            "toy-color-less-data-{size}",
            model=f"{TC_MODELS}/less-data/n{{size}}.pt",
            metrics=f"{TC_METRICS}/less-data/n{{size}}.json",
        ),
    log:
        f"{RESULTS}/logs/toy_color_less_data/{{size}}.log",
    wildcard_constraints:
        size=r"\d+",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: 1
    resources:
        gpu=GPU,
        runtime=per_attempt(30),
    params:
        device=DEVICE,
        conditions=TC_LESS_DATA,
        seeds=TC["less_data"]["seeds"],
        l1=TC["less_data"]["l1"],
        epoch_budget=TC["less_data"]["epoch_budget"],
        max_batch_size=TC["less_data"]["max_batch_size"],
        train=TC["train"],
        cutoff=TC["cutoff"],
        score_rows=TC["score_rows"],
    script:
        "../scripts/toy_color_less_data.py"


rule toy_color_less_data_summary:
    """Fig. 12's curves in one file, with the per-condition numbers the claims read."""
    input:
        metrics=expand(rules.toy_color_less_data.output.metrics, size=TC_SIZES),
        reference=TC_REFERENCE_FILE,
    output:
        f"{TC_METRICS}/less-data.json",
    log:
        f"{RESULTS}/logs/toy_color_less_data_summary.log",
    benchmark:
        f"{RESULTS}/benchmarks/toy-color-less-data-summary.tsv"
    conda:
        "../../envs/rrr.yaml"
    params:
        conditions=TC_LESS_DATA,
        below=TC["less_data"]["below"],
        # levels as text ("0.95"), the keys of the summary's extra_data_plain_needs
        reference_ratios={
            c: {str(level): ratio for level, ratio in levels.items()}
            for c, levels in TC_REFERENCE["extra_data_plain_needs"].items()
        },
    script:
        "../scripts/toy_color_less_data_summary.py"


rule paper_fig02:
    """Figure 2: gradient (M_0.67) vs LIME (top 6 features) explanations of nine Toy-Color test images."""
    input:
        lime=rules.toy_color_lime.output.lime,
        metrics=f"{TC_METRICS}/plain.json",
    output:
        figure_report("paper", 2, "toy-color-gradients-vs-lime"),
    log:
        f"{RESULTS}/logs/paper_fig02.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        cutoff=TC["cutoff"],
        top_features=TC["lime"]["top_features"],
        n_images=TC["figure_rows"],
    script:
        "../scripts/paper_fig02.py"


rule paper_fig03:
    """Figure 3: rule transitions as λ1 and the number of annotated rows grow."""
    input:
        l1_sweep=rules.toy_color_l1_sweep.output.metrics,
        count_sweep=rules.toy_color_count_sweep.output.metrics,
        always_include=expand(
            rules.toy_color_always_include.output.metrics,
            n=TC["transitions"]["always_include_counts"],
        ),
    output:
        figure_report("paper", 3, "toy-color-rule-transitions"),
    log:
        f"{RESULTS}/logs/paper_fig03.log",
    conda:
        "../../envs/rrr.yaml"
    script:
        "../scripts/paper_fig03.py"


rule paper_fig04:
    """Figure 4: find-another-explanation on Toy Color, explanations and accuracies of θ0, θ1, θ2."""
    input:
        metrics=rules.toy_color_fae.output.metrics,
        gradients=rules.toy_color_fae.output.gradients,
    output:
        figure_report("paper", 4, "toy-color-find-another-explanation"),
    log:
        f"{RESULTS}/logs/paper_fig04.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        cutoff=TC["cutoff"],
        paper_test=[paper_value(f"toy_color_fae_theta{i}_test") for i in range(TC["fae"]["rounds"])],
    script:
        "../scripts/paper_fig04.py"


rule paper_fig12:
    """Figure 12 (App. B): test accuracy vs training size for A = 0 and the four rule masks."""
    input:
        summary=rules.toy_color_less_data_summary.output[0],
        reference=TC_REFERENCE_FILE,
    output:
        figure_report("paper", 12, "toy-color-less-data"),
    log:
        f"{RESULTS}/logs/paper_fig12.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        paper_level=paper_value("toy_color_less_data_pro_rule1_below_100"),
        stored=TC_REFERENCE["stored_models_test_accuracy"],
    script:
        "../scripts/paper_fig12.py"


PAPER_TARGETS += rules.paper_fig02.output
PAPER_TARGETS += rules.paper_fig03.output
PAPER_TARGETS += rules.paper_fig04.output
PAPER_TARGETS += rules.paper_fig12.output
