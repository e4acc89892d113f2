rule claims_table:
    """The claims as a browsable HTML table, each row marked pass or fail, for the report."""
    input:
        rules.claims.output[0],
    output:
        report(
            f"{RESULTS}/claims.html",
            caption="../report/claims-table.rst",
            category="Claims",
        ),
    log:
        f"{RESULTS}/logs/claims_table.log",
    conda:
        "../../envs/rrr.yaml"
    script:
        "../scripts/claims_table.py"


localrules:
    claims_table,
