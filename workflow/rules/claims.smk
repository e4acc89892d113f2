rule claims:
    """Every number the papers state, next to the one this run computed."""
    input:
        claim_metric_files(),
        claims=CLAIMS_FILE,
    output:
        report(
            f"{RESULTS}/claims.csv",
            caption="../report/claims.rst",
            category="Claims",
        ),
    log:
        f"{RESULTS}/logs/claims.log",
    conda:
        "../envs/rrr.yaml"
    params:
        claim_ids=ACTIVE_CLAIMS,
        metrics_root=lambda w, output: f"{Path(output[0]).parent}/metrics",  # results/{profile}/metrics
    script:
        "../scripts/claims.py"


rule paper:
    """Every figure and table of the IJCAI 2017 paper."""
    input:
        PAPER_TARGETS,


rule thesis:
    """Every figure and table of the 2018 thesis built so far."""
    input:
        THESIS_TARGETS,
