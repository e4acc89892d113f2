validate(config["decoy_mnist"], "../schemas/decoy_mnist.schema.yaml")
DM = config["decoy_mnist"]
DM_CONDITIONS = ["plain", "annotated", "baseline"]


rule decoy_mnist_train:
    """Train the Decoy-MNIST MLP for one condition, every seed at once."""
    input:
        data=rules.decoy_mnist_data.output[0],
    output:
        model=f"{RESULTS}/models/decoy-mnist/{{condition}}.pt",
        history=f"{RESULTS}/models/decoy-mnist/{{condition}}-history.csv",
        metrics=f"{RESULTS}/metrics/decoy-mnist/{{condition}}.json",
    wildcard_constraints:
        condition="|".join(DM_CONDITIONS),
    params:
        seeds=DM["seeds"],
        l1=DM["l1"],
        train=DM["train"],
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=120,
    benchmark:
        f"{RESULTS}/benchmarks/decoy-mnist-train-{{condition}}.tsv"
    script:
        "../scripts/decoy_mnist_train.py"


rule decoy_mnist_gradients:
    """Cache f_X = ∇ max p̂ on the first test images for every seed of a condition."""
    input:
        data=rules.decoy_mnist_data.output[0],
        model=rules.decoy_mnist_train.output.model,
    output:
        f"{RESULTS}/gradients/decoy-mnist/{{condition}}.npz",
    wildcard_constraints:
        condition="|".join(DM_CONDITIONS),
    params:
        n_rows=max(DM["explained_test_rows"]) + 1,
    threads: config["threads"]
    script:
        "../scripts/decoy_mnist_gradients.py"


rule paper_fig09:
    """Figure 9: Decoy MNIST — A = 0 vs full A vs the plain-MNIST baseline."""
    input:
        metrics=expand(rules.decoy_mnist_train.output.metrics, condition=DM_CONDITIONS),
        gradients=expand(rules.decoy_mnist_gradients.output[0], condition=DM_CONDITIONS),
    output:
        report(
            figure("paper", 9, "decoy-mnist")[0],
            caption="../report/paper-fig09.rst",
            category="Paper",
            subcategory="Figure 9",
        ),
        figure("paper", 9, "decoy-mnist")[1],
    params:
        conditions=DM_CONDITIONS,
        rows=DM["explained_test_rows"],
        paper_values={c: paper_value(f"decoy_mnist_{c}_test") for c in DM_CONDITIONS},
    script:
        "../scripts/paper_fig09.py"


PAPER_TARGETS += rules.paper_fig09.output
