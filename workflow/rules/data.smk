rule acquire_dataset:
    """Copy a raw dataset from the mirror (or download it) and verify every checksum."""
    output:
        directory(f"{RAW}/{{dataset}}"),
    log:
        f"{RESULTS}/logs/acquire_dataset/{{dataset}}.log",
    priority: acquire_priority  # MNIST's comes first: the longest chain waits on it (rules/common.smk)
    resources:
        runtime=per_attempt(30),
    params:
        files=raw_dataset_identity,  # what the data is; where it comes from is no param (rules/common.smk)
    run:
        acquire_raw(wildcards.dataset, output[0], log[0])


localrules:
    acquire_dataset,
