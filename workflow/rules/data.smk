rule acquire_dataset:
    """Copy a raw dataset from the mirror (or download it) and verify every checksum."""
    output:
        directory(f"{RAW}/{{dataset}}"),
    log:
        f"{RESULTS}/logs/acquire_dataset/{{dataset}}.log",
    resources:
        runtime=30,
    params:
        files=raw_dataset_identity,  # what the data is; where it comes from is no param (rules/common.smk)
    run:
        acquire_raw(wildcards.dataset, output[0], log[0])


localrules:
    acquire_dataset,


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
    conda:
        "../../envs/rrr.yaml"
    params:
        seed=config["decoy_mnist"]["data_seed"],
        n_train=config["decoy_mnist"]["n_train"],
        n_test=config["decoy_mnist"]["n_test"],
    script:
        "../scripts/decoy_mnist_data.py"
