TABLE1_DATASETS = ["iris-cancer", "toy-color", "decoy-mnist", "newsgroups"]


rule table1_metrics:
    """Table 1 for one dataset: LIME and gradient seconds per explanation, and log10 of their ratio."""
    input:
        f"{RESULTS}/metrics/timing/{{dataset}}.json",
    output:
        f"{RESULTS}/metrics/table1/{{dataset}}.json",
    log:
        f"{RESULTS}/logs/table1_metrics/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/table1-metrics-{{dataset}}.tsv"
    wildcard_constraints:
        dataset="|".join(TABLE1_DATASETS),
    conda:
        "../../envs/rrr.yaml"
    script:
        "../scripts/table1_metrics.py"


rule paper_table1:
    """Table 1: seconds per explanation, LIME vs input gradients, on all four datasets."""
    input:
        expand(f"{RESULTS}/metrics/timing/{{dataset}}.json", dataset=TABLE1_DATASETS),
    output:
        table_report("paper", 1, "lime-vs-gradient-runtime"),
    log:
        f"{RESULTS}/logs/paper_table1.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        datasets=TABLE1_DATASETS,
        paper={
            d: {
                "lime": paper_value(f"table1_{d.replace('-', '_')}_log10_lime_seconds"),
                "gradient": paper_value(f"table1_{d.replace('-', '_')}_log10_gradient_seconds"),
            }
            for d in TABLE1_DATASETS
        },
    script:
        "../scripts/paper_table1.py"


rule paper_fig10:
    """Figure 10: find-another-explanation on Iris-Cancer (top), 20 Newsgroups (middle), Decoy MNIST (bottom)."""
    input:
        figure("paper", 10, "fae-iris-cancer"),
        figure("paper", 10, "fae-newsgroups"),
        figure("paper", 10, "fae-decoy-mnist"),


PAPER_TARGETS += rules.paper_table1.output
PAPER_TARGETS += rules.paper_fig10.input
