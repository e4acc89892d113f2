"""What a cluster run asks of SLURM, read from snakemake's dry run (no SLURM needed): the README's partition and
account keep the profile's memory and time, GPU jobs go to the GPU partition, every rule's memory grows with the
attempt, and the jobs upstream of the longest chain carry its priority."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
# The README's way of naming partition and account (config `cluster`), with a GPU partition beside it.
CLUSTER = "cluster={partition: cpu, account: mylab, gpu_partition: gpu}"
ADV_CUDA = "adversarial={device: cuda}"
ADV_TARGET = "results/smoke/metrics/adversarial-train/mnist/normal.json"


def _dry_run(project: Path, *args: str) -> dict[str, list[dict[str, str]]]:
    """``snakemake -n`` in ``project``: each rule's jobs as {field: value} (resources, priority, wildcards, ...)."""
    cmd = [sys.executable, "-m", "snakemake", "-n", "--configfile", "config/smoke.yaml", *args]
    run = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    jobs: dict[str, list[dict[str, str]]] = {}
    for block in re.split(r"\n(?=rule \w+:)", out)[1:]:
        rule = re.match(r"rule (\w+):", block)[1]
        fields = dict(re.findall(r"^    (\w+): (.*)$", block, flags=re.M))
        jobs.setdefault(rule, []).append(fields)
    return jobs


def _resources(job: dict[str, str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in job["resources"].split(", "))


@pytest.fixture(scope="module")
def slurm_jobs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, str]]]:
    project = tmp_path_factory.mktemp("cluster")
    for part in ("workflow", "config", "profiles", "envs"):
        subprocess.run(["cp", "-r", str(REPO / part), str(project / part)], check=True)
    return _dry_run(
        project, "--workflow-profile", "profiles/slurm", "--config", CLUSTER, ADV_CUDA, "--", "paper_fig09", ADV_TARGET
    )


def test_partition_and_account_keep_the_profiles_memory_and_time(slurm_jobs):
    trained = _resources(slurm_jobs["decoy_mnist_train"][0])  # the rule's own memory and time
    assert (trained["mem_mb"], trained["runtime"]) == ("4000", "120"), trained
    cached = _resources(slurm_jobs["decoy_mnist_gradients"][0])  # none of its own: the profile's default-resources
    assert (cached["mem_mb"], cached["runtime"]) == ("2000", "60"), cached
    for resources in (trained, cached):
        assert (resources["slurm_partition"], resources["slurm_account"]) == ("cpu", "mylab"), resources


def test_gpu_jobs_go_to_the_gpu_partition(slurm_jobs):
    resources = _resources(slurm_jobs["adversarial_train"][0])
    assert resources["gpu"] == "1" and resources["slurm_partition"] == "gpu", resources
    assert resources["slurm_account"] == "mylab" and resources["mem_mb"] == "6000", resources
    data = _resources(slurm_jobs["adversarial_data"][0])  # no GPU: the CPU partition
    assert data["slurm_partition"] == "cpu", data


def test_the_readme_names_partition_and_account_through_the_config():
    readme = (REPO / "README.md").read_text()
    assert "--config cluster='{partition: cpu, account: mylab}'" in readme
    assert "gpu_partition" in readme and "--set-threads" in readme
    profile = (REPO / "profiles" / "slurm" / "config.yaml").read_text()
    # A --default-resources on the command line replaces the profile's: neither may advise one.
    assert not re.search(r"--default-resources slurm_", readme + profile)
    defaults = yaml.safe_load(profile)["default-resources"]
    assert all("attempt" in str(value) for value in defaults.values()), defaults


def test_every_rules_memory_and_time_grow_with_the_attempt():
    fixed = []
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for number, line in enumerate(smk.read_text().splitlines(), 1):
            if re.match(r"\s+(mem_mb|mem|runtime)=", line) and "per_attempt(" not in line:
                fixed.append(f"{smk.name}:{number}: {line.strip()}")
    assert not fixed, "resources that do not grow on a retry (wrap them in per_attempt): " + "; ".join(fixed)


def test_the_jobs_upstream_of_the_longest_chain_carry_its_priority(project: Path):
    jobs = _dry_run(project, "--", "paper")
    chain = int(jobs["decoy_mnist_train"][0]["priority"])
    assert chain > 0
    acquired = {job["wildcards"]: int(job.get("priority", 0)) for job in jobs["acquire_dataset"]}
    assert acquired["dataset=mnist"] == chain, acquired
    assert all(p == 0 for w, p in acquired.items() if w != "dataset=mnist"), acquired
    assert int(jobs["decoy_mnist_data"][0]["priority"]) == chain
