import os
from pathlib import Path


from rrr.claims import load_claims
from rrr.provenance import config_hash, git_state

PROFILE = config["profile"]
RESULTS = f"results/{PROFILE}"
RAW = "results/raw"


# Plots and bookkeeping are cheap: never send them to a cluster node.
localrules:
    claims,
    paper,
    thesis,


def data_mirror():
    """The mirror folder: RRR_DATA_MIRROR wins over the config's data_mirror."""
    return os.environ.get("RRR_DATA_MIRROR") or config.get("data_mirror") or ""


def figure(paper, number, slug):
    """Paths of one figure, PNG and vector PDF, by the project's naming scheme."""
    stem = f"{RESULTS}/figures/{paper}-fig{number:02d}-{slug}"
    return [f"{stem}.png", f"{stem}.pdf"]


def figure_html(paper, number, slug):
    """The HTML rendering beside a figure's PNG and PDF (the 20 Newsgroups word explanations)."""
    return f"{RESULTS}/figures/{paper}-fig{number:02d}-{slug}.html"


def table(paper, number, slug):
    return f"{RESULTS}/tables/{paper}-table{number}-{slug}.csv"


CLAIMS_DIR = "config/claims"
REFERENCE_DIR = "config/reference"
CLAIMS_FILES = sorted(str(p) for p in Path(CLAIMS_DIR).glob("*.yaml"))
CLAIMS = load_claims(CLAIMS_DIR, REFERENCE_DIR)


def paper_value(claim_id):
    """The number a paper states for one claim (config/claims/*.yaml)."""
    return CLAIMS[claim_id]["paper_value"]


def claim_switched_on(claim):
    """Whether the config switch a claim `requires` (a dotted config path) is on; claims without one always are."""
    value = config
    for key in claim["requires"].split(".") if claim.get("requires") else []:
        value = value[key]
    return bool(value)


ACTIVE_CLAIMS = [cid for cid, claim in CLAIMS.items() if claim_switched_on(claim)]


def claim_metric_files():
    """The metrics files (results/{profile}/metrics/<experiment>/<condition>.json) the active claims read."""
    keys = ("metric", "minus", "null_metric", "null_minus")
    names = {CLAIMS[c][k].split(":")[0] for c in ACTIVE_CLAIMS for k in keys if CLAIMS[c].get(k)}
    return sorted(f"{RESULTS}/metrics/{name}.json" for name in names)


# Targets collected by the paper/thesis rules; each rules/*.smk file appends its own.
PAPER_TARGETS = []
THESIS_TARGETS = []


# What provenance.json would record about the code and the config. As params they are rerun triggers: a new
# commit, an edit of the tree or another config rewrites provenance.json on the next invocation, as does any
# rewrite of claims.csv (its input).
PROVENANCE_GIT = git_state(Path(workflow.basedir).parent)


def provenance_configfiles():
    """The config files read, in order (--configfile overlays, then config/config.yaml); Snakemake makes the
    overlays' paths absolute, so those inside the working directory are given relative to it again."""
    relative = [os.path.relpath(f) for f in workflow.configfiles]
    return [r if not r.startswith("..") else str(f) for r, f in zip(relative, workflow.configfiles)]
