rule claims:
    """Every number the papers state, next to the one this run computed, with a statistical verdict."""
    input:
        claim_metric_files(),
        claims=CLAIMS_FILES,
        references=sorted(str(p) for p in Path(REFERENCE_DIR).glob("*.yaml")),
    output:
        report(
            f"{RESULTS}/claims.csv",
            caption="../report/claims.rst",
            category="Claims",
        ),
    log:
        f"{RESULTS}/logs/claims.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        claims_dir=lambda w, input: Path(input.claims[0]).parent,  # config/claims
        reference_dir=lambda w, input: Path(input.references[0]).parent if input.references else None,
        claim_ids=ACTIVE_CLAIMS,
        left_out=CLAIMS_LEFT_OUT,
        metrics_root=lambda w, output: f"{Path(output[0]).parent}/metrics",  # results/{profile}/metrics
    script:
        "../scripts/claims.py"
