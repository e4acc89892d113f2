from rrr.pipeline.chunks import job_chunks
from rrr.pipeline.reference import load as load_reference

DM_CONDITIONS = ["plain", "annotated", "baseline"]


# Merging a sweep's training jobs (config models_per_job) is bookkeeping: never sent to a cluster node.
localrules:
    decoy_mnist_condition,
    decoy_mnist_crossval,
    decoy_mnist_fae,


rule decoy_mnist_data:
    """Decoy MNIST (Sec. 3.2): a 4×4 swatch in a random corner, shade 255−25·y in train, random in test."""
    input:
        f"{RAW}/mnist",
    output:
        f"{RESULTS}/data/decoy-mnist.npz",
    log:
        f"{RESULTS}/logs/decoy_mnist_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-data.tsv"
    priority: DM_CHAIN_PRIORITY  # the longest chain starts here (rules/common.smk)
    conda:
        "../../envs/rrr.yaml"
    params:
        seed=DM["data_seed"],
        n_train=DM["n_train"],
        n_test=DM["n_test"],
    script:
        "../scripts/decoy_mnist_data.py"


DM_TRAIN_JOBS = job_chunks(len(DM["seeds"]), MODELS_PER_JOB)
DM_TRAIN_JOB = f"{RESULTS}/models/decoy-mnist/jobs/{{condition}}-job{{job}}"


rule decoy_mnist_train:
    """Train the Decoy-MNIST MLP for one condition, one job's seeds at once (config models_per_job; 0: every seed)."""
    input:
        data=rules.decoy_mnist_data.output[0],
    output:
        **trained(
            "decoy-mnist-train-{condition}-job{job}",
            model=f"{DM_TRAIN_JOB}.pt",
            history=f"{DM_TRAIN_JOB}-history.csv",
            metrics=f"{DM_TRAIN_JOB}-metrics.json",
        ),
    log:
        f"{RESULTS}/logs/decoy_mnist_train/{{condition}}-job{{job}}.log",
    wildcard_constraints:
        condition="|".join(DM_CONDITIONS),
        job=r"\d+",
    cache: "omit-software"
    priority: DM_CHAIN_PRIORITY
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
        mem_mb=per_attempt(4000),
        runtime=per_attempt(120),
    params:
        device=DEVICE,
        seeds=lambda w: [DM["seeds"][i] for i in DM_TRAIN_JOBS[int(w.job)]],
        shuffle_seed=DM["seeds"][0],
        l1=DM["l1"],
        train=DM["train"],
    script:
        "../scripts/decoy_mnist_train.py"


rule decoy_mnist_condition:
    """One condition's models, every seed: its training jobs merged into one stack."""
    input:
        models=expand(rules.decoy_mnist_train.output.model, job=range(len(DM_TRAIN_JOBS)), allow_missing=True),
        histories=expand(rules.decoy_mnist_train.output.history, job=range(len(DM_TRAIN_JOBS)), allow_missing=True),
        metrics=expand(rules.decoy_mnist_train.output.metrics, job=range(len(DM_TRAIN_JOBS)), allow_missing=True),
    output:
        model=f"{RESULTS}/models/decoy-mnist/{{condition}}.pt",
        history=f"{RESULTS}/models/decoy-mnist/{{condition}}-history.csv",
        metrics=f"{RESULTS}/metrics/decoy-mnist/{{condition}}.json",
    log:
        f"{RESULTS}/logs/decoy_mnist_condition/{{condition}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-condition-{{condition}}.tsv"
    wildcard_constraints:
        condition="|".join(DM_CONDITIONS),
    conda:
        "../../envs/rrr.yaml"
    params:
        train=DM["train"],
    script:
        "../scripts/decoy_mnist_condition.py"


rule decoy_mnist_gradients:
    """Cache f_X = ∇ max p̂ on the first test images for every seed of a condition."""
    input:
        data=rules.decoy_mnist_data.output[0],
        model=rules.decoy_mnist_condition.output.model,
    output:
        f"{RESULTS}/gradients/decoy-mnist/{{condition}}.npz",
    log:
        f"{RESULTS}/logs/decoy_mnist_gradients/{{condition}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-gradients-{{condition}}.tsv"
    wildcard_constraints:
        condition="|".join(DM_CONDITIONS),
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        n_rows=max(DM["explained_test_rows"]) + 1,
    script:
        "../scripts/decoy_mnist_gradients.py"


rule paper_fig09:
    """Figure 9: Decoy MNIST — A = 0 vs full A vs the plain-MNIST baseline."""
    input:
        metrics=expand(rules.decoy_mnist_condition.output.metrics, condition=DM_CONDITIONS),
        gradients=expand(rules.decoy_mnist_gradients.output[0], condition=DM_CONDITIONS),
    output:
        figure_report("paper", 9, "decoy-mnist"),
    log:
        f"{RESULTS}/logs/paper_fig09.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        conditions=DM_CONDITIONS,
        rows=DM["explained_test_rows"],
        paper_values={c: paper_value(f"decoy_mnist_{c}_test") for c in DM_CONDITIONS},
    script:
        "../scripts/paper_fig09.py"


PAPER_TARGETS += rules.paper_fig09.output


# --- Figure 6 and Table 1: a decoy-fooled prediction, gradients vs LIME -----------------------
DM_FAE, DM_CV, DM_LIME = DM["fae"], DM["crossval"], DM["lime"]
if not set(DM_FAE["seeds"]) <= set(DM["seeds"]):
    raise ValueError(
        f"decoy_mnist.fae.seeds {DM_FAE['seeds']} must be among decoy_mnist.seeds {DM['seeds']}: "
        "θ0 of each chain is Figure 9's A = 0 model of that seed."
    )
DM_THETA0 = rules.decoy_mnist_condition.output.model.replace("{condition}", "plain")
DM_THETA0_METRICS = rules.decoy_mnist_condition.output.metrics.replace("{condition}", "plain")
DM_BASELINE_METRICS = rules.decoy_mnist_condition.output.metrics.replace("{condition}", "baseline")


rule decoy_mnist_fooled:
    """Pick the first test image the A = 0 model misreads as its decoy's digit whose swatch stands out from the
    background; explain it by ∇p̂ and LIME."""
    input:
        data=rules.decoy_mnist_data.output[0],
        model=DM_THETA0,
    output:
        explanations=f"{RESULTS}/gradients/decoy-mnist-lime/fooled-example.npz",
        metrics=f"{RESULTS}/metrics/decoy-mnist-fooled/plain.json",
    log:
        f"{RESULTS}/logs/decoy_mnist_fooled.log",
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-fooled.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        lime=DM_LIME,
        seeds=DM["seeds"],
        min_swatch_contrast=DM["fig06_min_swatch_contrast"],
    script:
        "../scripts/decoy_mnist_fooled.py"


rule paper_fig06:
    """Figure 6: Decoy MNIST — a swatch-fooled prediction explained by input gradients and by LIME."""
    input:
        rules.decoy_mnist_fooled.output.explanations,
    output:
        figure_report("paper", 6, "decoy-mnist-lime"),
    log:
        f"{RESULTS}/logs/paper_fig06.log",
    conda:
        "../../envs/rrr.yaml"
    script:
        "../scripts/paper_fig06.py"


rule decoy_mnist_timing:
    """Table 1, Decoy MNIST: CPU seconds per explanation, LIME image vs batched input gradients."""
    input:
        data=rules.decoy_mnist_data.output[0],
        model=DM_THETA0,
    output:
        f"{RESULTS}/metrics/timing/decoy-mnist.json",
    log:
        f"{RESULTS}/logs/decoy_mnist_timing.log",
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-timing.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        repeats=TABLE1_REPEATS,  # each Table 1 cell timed this many times: its spread is the error
        lime=DM_LIME,
        n_lime=DM["n_timed_lime"],
    script:
        "../scripts/decoy_mnist_timing.py"


# --- Figure 10 (bottom): find-another-explanation for three λ1 -------------------------------
DM_FAE_PARAMS = {
    "l1": DM_FAE["l1"],
    "seeds": DM_FAE["seeds"],
    "theta0_index": [DM["seeds"].index(s) for s in DM_FAE["seeds"]],
}
DM_FAE_ROUNDS = list(range(1, DM_FAE["rounds"]))  # θ1 … θ_{R-1}: θ0 is Figure 9's A = 0 model


DM_FAE_JOBS = job_chunks(len(DM_FAE["l1"]) * len(DM_FAE["seeds"]), MODELS_PER_JOB)
DM_FAE_JOB = f"{RESULTS}/models/decoy-mnist-fae/jobs/round{{round}}-job{{job}}"


rule decoy_mnist_fae_train:
    """FAE round r for one job's (λ1, seed) chains: fresh models with A = ∪ of their earlier rounds' M_0.67 masks."""
    input:
        data=rules.decoy_mnist_data.output[0],
        theta0=DM_THETA0,
        previous=lambda w: [DM_FAE_JOB.format(round=j, job=w.job) + ".pt" for j in range(1, int(w.round))],
    output:
        **trained(
            "decoy-mnist-fae-train-round{round}-job{job}",
            model=f"{DM_FAE_JOB}.pt",
            history=f"{DM_FAE_JOB}-history.csv",
            metrics=f"{DM_FAE_JOB}-metrics.json",
        ),
    log:
        f"{RESULTS}/logs/decoy_mnist_fae_train/round{{round}}-job{{job}}.log",
    wildcard_constraints:
        round=r"[1-9]\d*",
        job=r"\d+",
    cache: "omit-software"
    priority: DM_CHAIN_PRIORITY
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
        mem_mb=per_attempt(6000),
        runtime=per_attempt(120),
    params:
        **DM_FAE_PARAMS,
        device=DEVICE,
        models=lambda w: DM_FAE_JOBS[int(w.job)],
        cutoff=DM_FAE["cutoff"],
        train=DM["train"],
    script:
        "../scripts/decoy_mnist_fae_train.py"


rule decoy_mnist_fae:
    """FAE round r of every (λ1, seed) chain: the round's jobs merged into one stack."""
    input:
        models=expand(rules.decoy_mnist_fae_train.output.model, job=range(len(DM_FAE_JOBS)), allow_missing=True),
        histories=expand(rules.decoy_mnist_fae_train.output.history, job=range(len(DM_FAE_JOBS)), allow_missing=True),
        metrics=expand(rules.decoy_mnist_fae_train.output.metrics, job=range(len(DM_FAE_JOBS)), allow_missing=True),
    output:
        model=f"{RESULTS}/models/decoy-mnist-fae/round{{round}}.pt",
        history=f"{RESULTS}/models/decoy-mnist-fae/round{{round}}-history.csv",
        metrics=f"{RESULTS}/metrics/decoy-mnist-fae/round{{round}}.json",
    log:
        f"{RESULTS}/logs/decoy_mnist_fae/{{round}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-fae-round{{round}}.tsv"
    wildcard_constraints:
        round=r"[1-9]\d*",
    conda:
        "../../envs/rrr.yaml"
    params:
        **DM_FAE_PARAMS,
        train=DM["train"],
    script:
        "../scripts/decoy_mnist_fae.py"


rule decoy_mnist_fae_gradients:
    """Cache ∇ max p̂ of θ0…θR of every FAE chain on the explained test images."""
    input:
        data=rules.decoy_mnist_data.output[0],
        theta0=DM_THETA0,
        rounds=expand(rules.decoy_mnist_fae.output.model, round=DM_FAE_ROUNDS),
    output:
        f"{RESULTS}/gradients/decoy-mnist-fae/explanations.npz",
    log:
        f"{RESULTS}/logs/decoy_mnist_fae_gradients.log",
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-fae-gradients.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        **DM_FAE_PARAMS,
        rows=DM_FAE["explained_test_rows"],
    script:
        "../scripts/decoy_mnist_fae_gradients.py"


rule paper_fig10_decoy_mnist:
    """Figure 10 (bottom): Decoy-MNIST find-another-explanation, explanations and accuracy per round."""
    input:
        gradients=rules.decoy_mnist_fae_gradients.output[0],
        theta0=DM_THETA0_METRICS,
        rounds=expand(rules.decoy_mnist_fae.output.metrics, round=DM_FAE_ROUNDS),
        baseline=DM_BASELINE_METRICS,
    output:
        figure_report("paper", 10, "fae-decoy-mnist", part="decoy-mnist"),
    log:
        f"{RESULTS}/logs/paper_fig10_decoy_mnist.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        **DM_FAE_PARAMS,
    script:
        "../scripts/paper_fig10_decoy_mnist.py"


# --- Figure 11 (Appendix A): cross-validating λ1 ----------------------------------------------
# The reference's test accuracy per λ1 = 10^p (spec §4.2): config/reference/decoy_mnist.yaml, crossval.test.
DM_REFERENCE_FILE = f"{REFERENCE_DIR}/decoy_mnist.yaml"
DM_CV_REFERENCE_TEST = load_reference("decoy_mnist", REFERENCE_DIR)["crossval"]["test"]


DM_CV_L1 = [10.0**e for e in DM_CV["l1_exponents"]]
DM_CV_MODELS = [(lam, s) for lam in DM_CV_L1 for s in DM_CV["seeds"]]  # stack layout: λ1 index · n_seeds + seed
DM_CV_JOBS = job_chunks(len(DM_CV_MODELS), MODELS_PER_JOB)
DM_CV_JOB = f"{RESULTS}/models/decoy-mnist-crossval/jobs/job{{job}}"


rule decoy_mnist_crossval_train:
    """One job's (λ1, seed) models of the λ1 sweep, as a stack on 56000 images (config models_per_job)."""
    input:
        data=rules.decoy_mnist_data.output[0],
    output:
        **trained(
            "decoy-mnist-crossval-train-job{job}",
            model=f"{DM_CV_JOB}.pt",
            history=f"{DM_CV_JOB}-history.csv",
            metrics=f"{DM_CV_JOB}-metrics.json",
        ),
    log:
        f"{RESULTS}/logs/decoy_mnist_crossval_train/{{job}}.log",
    wildcard_constraints:
        job=r"\d+",
    cache: "omit-software"
    priority: DM_CHAIN_PRIORITY // 2
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
        mem_mb=per_attempt(6000),
        runtime=per_attempt(240),
    params:
        device=DEVICE,
        seeds=lambda w: [DM_CV_MODELS[i][1] for i in DM_CV_JOBS[int(w.job)]],
        l1=lambda w: [DM_CV_MODELS[i][0] for i in DM_CV_JOBS[int(w.job)]],
        shuffle_seed=DM_CV["seeds"][0],
        n_validation=DM_CV["n_validation"],
        train=DM["train"],
    script:
        "../scripts/decoy_mnist_crossval_train.py"


rule decoy_mnist_crossval:
    """The whole λ1 sweep: its jobs merged into one stack; validation on 4000 held-out images, test on Xt."""
    input:
        data=rules.decoy_mnist_data.output[0],
        models=expand(rules.decoy_mnist_crossval_train.output.model, job=range(len(DM_CV_JOBS))),
        histories=expand(rules.decoy_mnist_crossval_train.output.history, job=range(len(DM_CV_JOBS))),
        metrics=expand(rules.decoy_mnist_crossval_train.output.metrics, job=range(len(DM_CV_JOBS))),
    output:
        model=f"{RESULTS}/models/decoy-mnist-crossval/sweep.pt",
        history=f"{RESULTS}/models/decoy-mnist-crossval/sweep-history.csv",
        metrics=f"{RESULTS}/metrics/decoy-mnist-crossval/sweep.json",
    log:
        f"{RESULTS}/logs/decoy_mnist_crossval.log",
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-crossval.tsv"
    conda:
        "../../envs/rrr.yaml"
    params:
        seeds=DM_CV["seeds"],
        l1_exponents=DM_CV["l1_exponents"],
        n_validation=DM_CV["n_validation"],
        train=DM["train"],
    script:
        "../scripts/decoy_mnist_crossval.py"


rule paper_fig11:
    """Figure 11: test accuracy vs λ1 with the loss-balance region (initial RA ≈ λ1·RR) shaded."""
    input:
        metrics=rules.decoy_mnist_crossval.output.metrics,
        reference=DM_REFERENCE_FILE,
    output:
        figure_report("paper", 11, "decoy-mnist-crossval"),
    log:
        f"{RESULTS}/logs/paper_fig11.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        max_plotted_exponent=DM_CV["max_plotted_exponent"],
        balance_band=DM_CV["balance_band"],
        reference_exponents=list(DM_CV_REFERENCE_TEST),
        reference_test=list(DM_CV_REFERENCE_TEST.values()),
    script:
        "../scripts/paper_fig11.py"


PAPER_TARGETS += rules.paper_fig06.output
PAPER_TARGETS += rules.paper_fig11.output
