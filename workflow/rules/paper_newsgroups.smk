NG_CONDITIONS = ["plain", "fae"]
NG_TOWARD = "soc.religion.christian"  # gradients and LIME weights > 0 raise this class's p̂
NG_EXPLAINED = sorted({NG["fig05_document"], *NG["fig13_documents"]})
NG_FAE_EARLY_ROUNDS = 3  # the claim "accuracy stays high" is about θ1 … θ3
NG_GRADIENTS = f"{RESULTS}/gradients/newsgroups/{{condition}}.npz"


rule newsgroups_data:
    """20 Newsgroups atheism vs Christianity: case-sensitive TF-IDF (5000 words) fit on train (spec §1.4)."""
    input:
        f"{RAW}/newsgroups20",
    output:
        npz=f"{RESULTS}/data/newsgroups.npz",
        text=f"{RESULTS}/data/newsgroups-text.json",
    log:
        f"{RESULTS}/logs/newsgroups_data.log",
    benchmark:
        f"{RESULTS}/benchmarks/newsgroups-data.tsv"
    conda:
        "../../envs/rrr.yaml"
    params:
        n_train=NG["n_train"],
        n_test=NG["n_test"],
        max_features=NG["max_features"],
    script:
        "../scripts/newsgroups_data.py"


rule newsgroups_train:
    """Train the 20 Newsgroups MLP with A = 0, every seed at once (stacked)."""
    input:
        data=rules.newsgroups_data.output.npz,
        text=rules.newsgroups_data.output.text,
    output:
        **trained(
            "newsgroups-train-plain",
            model=f"{RESULTS}/models/newsgroups/plain.pt",
            history=f"{RESULTS}/models/newsgroups/plain-history.csv",
            metrics=f"{RESULTS}/metrics/newsgroups/plain.json",
        ),
    log:
        f"{RESULTS}/logs/newsgroups_train.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
        mem_mb=per_attempt(4000),
        runtime=per_attempt(60),
    params:
        device=DEVICE,
        seeds=NG["seeds"],
        train=NG["train"],
    script:
        "../scripts/newsgroups_train.py"


rule newsgroups_fae:
    """Find-another-explanation: 8 rounds, λ1 = 250, cumulative masks, every seed at once."""
    input:
        data=rules.newsgroups_data.output.npz,
    output:
        **trained(
            "newsgroups-fae",
            model=f"{RESULTS}/models/newsgroups/fae.pt",
            history=f"{RESULTS}/models/newsgroups/fae-history.csv",
            metrics=f"{RESULTS}/metrics/newsgroups/fae.json",
        ),
    log:
        f"{RESULTS}/logs/newsgroups_fae.log",
    cache: "omit-software"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    resources:
        gpu=GPU,
        mem_mb=per_attempt(6000),
        runtime=per_attempt(120),
    params:
        device=DEVICE,
        seeds=NG["fae"]["seeds"],
        rounds=NG["fae"]["rounds"],
        l1=NG["fae"]["l1"],
        cutoff=NG["fae"]["cutoff"],
        early_rounds=NG_FAE_EARLY_ROUNDS,
        train=NG["train"],
    script:
        "../scripts/newsgroups_fae.py"


rule newsgroups_gradients:
    """Cache ∇p̂(christian) of every model of a condition on the test documents its figures explain."""
    input:
        data=rules.newsgroups_data.output.npz,
        text=rules.newsgroups_data.output.text,
        model=f"{RESULTS}/models/newsgroups/{{condition}}.pt",
    output:
        NG_GRADIENTS,
    log:
        f"{RESULTS}/logs/newsgroups_gradients/{{condition}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/newsgroups-gradients-{{condition}}.tsv"
    wildcard_constraints:
        condition="|".join(NG_CONDITIONS),
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        rows=lambda w: NG_EXPLAINED if w.condition == "plain" else [NG["fae"]["document"]],
        toward=NG_TOWARD,
    script:
        "../scripts/newsgroups_gradients.py"


rule newsgroups_lime:
    """LIME text explanations of the explained documents for every seed, and their sign agreement with gradients."""
    input:
        text=rules.newsgroups_data.output.text,
        model=rules.newsgroups_train.output.model,
        gradients=NG_GRADIENTS.format(condition="plain"),
    output:
        explanations=f"{RESULTS}/gradients/newsgroups/lime.json",
        metrics=f"{RESULTS}/metrics/newsgroups/lime.json",
    log:
        f"{RESULTS}/logs/newsgroups_lime.log",
    benchmark:
        f"{RESULTS}/benchmarks/newsgroups-lime.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        seeds=NG["seeds"],
        lime=NG["lime"],
    script:
        "../scripts/newsgroups_lime.py"


rule newsgroups_timing:
    """Table 1, 20 Newsgroups: CPU seconds per explanation, LIME text vs input gradients."""
    input:
        data=rules.newsgroups_data.output.npz,
        text=rules.newsgroups_data.output.text,
        model=rules.newsgroups_train.output.model,
    output:
        f"{RESULTS}/metrics/timing/newsgroups.json",
    log:
        f"{RESULTS}/logs/newsgroups_timing.log",
    benchmark:
        f"{RESULTS}/benchmarks/newsgroups-timing.tsv"
    conda:
        "../../envs/rrr.yaml"
    threads: THREADS
    params:
        repeats=TABLE1_REPEATS,  # each Table 1 cell timed this many times: its spread is the error
        lime=NG["lime"],
        n_lime=NG["timing"]["n_lime"],
        n_gradient=NG["timing"]["n_gradient"],
    script:
        "../scripts/newsgroups_timing.py"


rule paper_fig05:
    """Figure 5: words identified by LIME vs input gradients on one 20 Newsgroups test document."""
    input:
        text=rules.newsgroups_data.output.text,
        gradients=NG_GRADIENTS.format(condition="plain"),
        lime=rules.newsgroups_lime.output.explanations,
    output:
        **figure_report_html("paper", 5, "newsgroups-explanation"),
    log:
        f"{RESULTS}/logs/paper_fig05.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        document=NG["fig05_document"],
    script:
        "../scripts/paper_fig05.py"


rule paper_fig13:
    """Figure 13 (Appendix C): longer 20 Newsgroups examples, input gradients vs LIME."""
    input:
        text=rules.newsgroups_data.output.text,
        gradients=NG_GRADIENTS.format(condition="plain"),
        lime=rules.newsgroups_lime.output.explanations,
    output:
        **figure_report_html("paper", 13, "newsgroups-long-examples"),
    log:
        f"{RESULTS}/logs/paper_fig13.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        documents=NG["fig13_documents"],
    script:
        "../scripts/paper_fig13.py"


rule paper_fig10_newsgroups:
    """Figure 10 (middle): find-another-explanation on 20 Newsgroups — words per round, accuracies."""
    input:
        text=rules.newsgroups_data.output.text,
        metrics=rules.newsgroups_fae.output.metrics,
        gradients=NG_GRADIENTS.format(condition="fae"),
    output:
        figure_report("paper", 10, "fae-newsgroups", part="newsgroups"),
    log:
        f"{RESULTS}/logs/paper_fig10_newsgroups.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        shown_rounds=NG["fae"]["shown_rounds"],
        max_words=NG["fae"]["max_words"],
        paper_test=paper_value("newsgroups_plain_test"),
    script:
        "../scripts/paper_fig10_newsgroups.py"


PAPER_TARGETS += rules.paper_fig05.output
PAPER_TARGETS += rules.paper_fig13.output
