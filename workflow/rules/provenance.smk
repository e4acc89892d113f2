rule provenance:
    """The code (git commit, uncommitted changes), config, software and machine behind the claims' verdicts."""
    input:
        f"{RESULTS}/claims.csv",
    output:
        report(
            f"{RESULTS}/provenance.json",
            caption="../report/provenance.rst",
            category="Claims",
        ),
    log:
        f"{RESULTS}/logs/provenance.log",
    conda:
        "../../envs/rrr.yaml"
    params:
        configfiles=provenance_configfiles(),
        commit=PROVENANCE_GIT["commit"],
        changes=PROVENANCE_GIT["changes_sha256"],
        config_sha256=config_hash(config),
    script:
        "../scripts/provenance.py"


localrules:
    provenance,
