from rrr.pipeline.reference import load as load_reference

IC_CONDITIONS = ["plain", "annotated"]
IC_SPLIT_SETS = {
    "splits": (IC["n_splits"], IC["split_seed"]),
    "fae": (IC["fae"]["n_trials"], IC["fae"]["split_seed"]),
}
# Models of 3342 parameters: one thread each (torch's intra-op threads only add contention
# here); with --cores 2 Snakemake runs two of these jobs side by side instead.
IC_THREADS = 1
IC_FAE_MODELS = [f"{RESULTS}/models/iris-cancer/fae/round{i}.pt" for i in range(IC["fae"]["rounds"])]
# The reference notebook's printed numbers (Iris usage per FAE iteration, spec §4.1 IC-FAE; Iris usage of the
# LIME-section model, spec §3; discretized LIME seconds, spec §3): config/reference/iris_cancer.yaml.
IC_REFERENCE_FILE = f"{REFERENCE_DIR}/iris_cancer.yaml"
IC_REFERENCE = load_reference("iris_cancer", REFERENCE_DIR)


rule iris_cancer_data:
    """Random 2/3-1/3 Iris-Cancer splits, stacked (one per model); 'fae' are the FAE trials' own splits."""
    output:
        f"{RESULTS}/data/iris-cancer-{{split_set}}.npz",
    log:
        f"{RESULTS}/logs/iris_cancer_data/{{split_set}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/iris-cancer-data-{{split_set}}.tsv"
    wildcard_constraints:
        split_set="|".join(IC_SPLIT_SETS),
    conda:
        "../../envs/rrr.yaml"
    params:
        n_splits=lambda w: IC_SPLIT_SETS[w.split_set][0],
        seed=lambda w: IC_SPLIT_SETS[w.split_set][1],
    script:
        "../scripts/iris_cancer_data.py"


rule iris_cancer_train:
    """Train one MLP per split for one condition (A = 0 or Iris annotated), all splits at once."""
    input:
        data=f"{RESULTS}/data/iris-cancer-splits.npz",
    output:
        **trained(
            "iris-cancer-train-{condition}",
            model=f"{RESULTS}/models/iris-cancer/{{condition}}.pt",
            history=f"{RESULTS}/models/iris-cancer/{{condition}}-history.csv",
            metrics=f"{RESULTS}/metrics/iris-cancer/{{condition}}.json",
        ),
    log:
        f"{RESULTS}/logs/iris_cancer_train/{{condition}}.log",
    wildcard_constraints:
        condition="|".join(IC_CONDITIONS),
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: IC_THREADS
    resources:
        gpu=GPU,
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        device=DEVICE,
        init_seed=IC["init_seed"],
        l1=IC["l1"],
        train=IC["train"],
        cutoff=IC["cutoff"],
        top_k=IC["top_k"],
    script:
        "../scripts/iris_cancer_train.py"


rule iris_cancer_explain:
    """Figure 7's explanations: ∂p̂_0/∂x, ∂p̂_1/∂x and continuous-LIME weights of one split's A = 0 model."""
    input:
        data=f"{RESULTS}/data/iris-cancer-splits.npz",
        model=f"{RESULTS}/models/iris-cancer/plain.pt",
    output:
        f"{RESULTS}/gradients/iris-cancer/lime-comparison.npz",
    log:
        f"{RESULTS}/logs/iris_cancer_explain.log",
    benchmark:
        f"{RESULTS}/benchmarks/iris-cancer-explain.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: IC_THREADS
    params:
        split=IC["explained_split"],
        rows=IC["explained_rows"],
        lime=IC["lime"],
        cutoff=IC["cutoff"],
    script:
        "../scripts/iris_cancer_explain.py"


rule iris_cancer_timing:
    """Table 1, Iris-Cancer: CPU seconds per explanation, LIME tabular (continuous) vs input gradients."""
    input:
        data=f"{RESULTS}/data/iris-cancer-splits.npz",
        model=f"{RESULTS}/models/iris-cancer/plain.pt",
    output:
        f"{RESULTS}/metrics/timing/iris-cancer.json",
    log:
        f"{RESULTS}/logs/iris_cancer_timing.log",
    benchmark:
        f"{RESULTS}/benchmarks/iris-cancer-timing.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: IC_THREADS
    params:
        repeats=TABLE1_REPEATS,  # each Table 1 cell timed this many times: its spread is the error
        split=IC["explained_split"],
        lime=IC["lime"],
        # A param, not an input: a change of another number in the file must not rerun the timing.
        reference_discretized_seconds=IC_REFERENCE["timing"]["lime_discretized_seconds_per_explanation"],
    script:
        "../scripts/iris_cancer_timing.py"


rule iris_cancer_fae:
    """Find-another-explanation: θ0..θ_{R-1} for every trial (own split), one stacked model per round."""
    input:
        data=f"{RESULTS}/data/iris-cancer-fae.npz",
    output:
        **trained(
            "iris-cancer-fae",
            **numbered("model", IC_FAE_MODELS),
            metrics=f"{RESULTS}/metrics/iris-cancer/fae.json",
        ),
    log:
        f"{RESULTS}/logs/iris_cancer_fae.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: IC_THREADS
    resources:
        gpu=GPU,
        mem_mb=per_attempt(2000),
        runtime=per_attempt(30),
    params:
        device=DEVICE,
        fae=IC["fae"],
        train=IC["train"],
        cutoff=IC["cutoff"],
    script:
        "../scripts/iris_cancer_fae.py"


rule iris_cancer_fae_gradients:
    """Cache f_X = ∇ max p̂ of every FAE round on every trial's training rows."""
    input:
        data=f"{RESULTS}/data/iris-cancer-fae.npz",
        models=IC_FAE_MODELS,
    output:
        f"{RESULTS}/gradients/iris-cancer/fae.npz",
    log:
        f"{RESULTS}/logs/iris_cancer_fae_gradients.log",
    benchmark:
        f"{RESULTS}/benchmarks/iris-cancer-fae-gradients.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: IC_THREADS
    script:
        "../scripts/iris_cancer_fae_gradients.py"


rule paper_fig07:
    """Figure 7: Iris-Cancer input gradients vs. LIME weights, Iris features shaded."""
    input:
        explanations=rules.iris_cancer_explain.output[0],
        reference=IC_REFERENCE_FILE,
    output:
        figure_report("paper", 7, "iris-cancer-gradients-vs-lime"),
    log:
        f"{RESULTS}/logs/paper_fig07.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        reference_usage=IC_REFERENCE["lime_model"]["iris_usage"],
    script:
        "../scripts/paper_fig07.py"


rule paper_fig08:
    """Figure 8: Iris-Cancer over random splits, A = 0 vs full A (Iris annotated)."""
    input:
        data=f"{RESULTS}/data/iris-cancer-splits.npz",
        metrics=expand(rules.iris_cancer_train.output.metrics, condition=IC_CONDITIONS),
    output:
        figure_report("paper", 8, "iris-cancer-confound"),
    log:
        f"{RESULTS}/logs/paper_fig08.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        conditions=IC_CONDITIONS,
        paper={
            "test_accuracy": {"plain": paper_value("iris_cancer_plain_test")},
            "test_iris_out_accuracy": {"plain": paper_value("iris_cancer_plain_test_iris_out")},
        },
    script:
        "../scripts/paper_fig08.py"


rule paper_fig10_iris_cancer:
    """Figure 10 (top): find-another-explanation on Iris-Cancer (the lead's paper_fig10 collects it)."""
    input:
        gradients=rules.iris_cancer_fae_gradients.output[0],
        metrics=rules.iris_cancer_fae.output.metrics,
        reference=IC_REFERENCE_FILE,
    output:
        figure_report("paper", 10, "fae-iris-cancer", part="iris-cancer"),
    log:
        f"{RESULTS}/logs/paper_fig10_iris_cancer.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        trial=IC["fae"]["shown_trial"],
        rows=IC["fae"]["explained_rows"],
        paper_usage=IC_REFERENCE["fae"]["iris_usage"][: IC["fae"]["rounds"]],
    script:
        "../scripts/paper_fig10_iris_cancer.py"


PAPER_TARGETS += rules.paper_fig07.output
PAPER_TARGETS += rules.paper_fig08.output
