"""The workflow on a real SLURM: a single-node slurmctld + slurmd on this machine, jobs through sbatch.

Needs root and Debian's ``slurm-wlm`` and ``munge`` (installed with apt-get when missing). The cluster is this
test's own: it writes /etc/slurm/slurm.conf (where srun inside a job looks: the executor strips SLURM_* variables,
SLURM_CONF included, from job steps) only when no SLURM is configured there, and removes it afterwards; ports are
free ones, state, spool, logs and pid files live in a temporary directory. Only the daemons this test started are
stopped, by the pids in their pid files. Accounting is off (no slurmdbd), so the executor reads job states from
``squeue``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from golden import metrics_differences

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("slurm-wlm", "munge")
MUNGE_PID = Path("/run/munge/munged.pid")
CONF_DIR = Path("/etc/slurm")
MARK = "# single-node test cluster written by rrr's tests/test_slurm.py; removed when the test ends\n"
# Figure 9 (data -> three MLP trainings -> three gradient caches -> figure), Figure 10's Decoy-MNIST find-another-
# explanation chains split into jobs of MODELS_PER_JOB models (the cluster form of config models_per_job: 6 chains,
# 2 rounds -> 4 training jobs, each job's chain its own) and one CNN training of the thesis' adversarial chapter, on
# the CPU as the smoke config says (no GPU asked for): every kind of compute rule of the smoke DAG, in minutes.
TARGETS = ["paper_fig09", "paper_fig10_decoy_mnist", "results/smoke/metrics/adversarial-train/mnist/normal.json"]
MODELS_PER_JOB = 3
REMOTE_RULES = dict(
    decoy_mnist_data=1,
    decoy_mnist_train=3,
    decoy_mnist_gradients=3,
    decoy_mnist_fae_train=4,
    decoy_mnist_fae_gradients=1,
    adversarial_data=1,
    adversarial_train=1,
)

# The README's way to name partition and account (config `cluster`): the jobs must keep the profile's memory and time.
# Both partitions are this node's; the GPU one (cluster.gpu_partition) is checked by tests/test_cluster.py's dry run
# (a CNN on CUDA cannot train on this machine).
PARTITION, GPU_PARTITION, ACCOUNT = "cpu", "gpu", "mylab"
CLUSTER = f"cluster={{partition: {PARTITION}, account: {ACCOUNT}}}"

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def _env(**extra: str) -> dict[str, str]:
    """This environment, with SLURM commands reading /etc/slurm/slurm.conf."""
    return {**{k: v for k, v in os.environ.items() if k != "SLURM_CONF"}, **extra}


def _sh(cmd: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, env=_env(), **kwargs)


def _install_or_skip() -> None:
    if os.geteuid() != 0:
        pytest.skip("starting munged, slurmctld and slurmd needs root")
    if all(shutil.which(tool) for tool in ("slurmctld", "slurmd", "sbatch", "munged")):
        return
    if not shutil.which("apt-get"):
        pytest.skip("SLURM is not installed and there is no apt-get to install slurm-wlm and munge")
    install = subprocess.run(
        f"apt-get update -qq && apt-get install -y -qq --no-install-recommends {' '.join(PACKAGES)}",
        shell=True,
        capture_output=True,
        text=True,
        env=_env(DEBIAN_FRONTEND="noninteractive"),
        timeout=600,
    )
    if install.returncode != 0:
        pytest.skip(f"apt-get could not install {' '.join(PACKAGES)}: {install.stderr.strip()[-500:]}")


def _munge_works() -> bool:
    return _sh("munge -n | unmunge", timeout=10).returncode == 0


def _start_munged() -> Path | None:
    """Start munged unless one already answers; the pid file of the one started here, else None."""
    if _munge_works():
        return None
    if not Path("/etc/munge/munge.key").exists():
        subprocess.run(["mungekey", "--create"], check=True)
    subprocess.run(["chown", "munge:munge", "/etc/munge/munge.key"], check=True)
    Path("/run/munge").mkdir(parents=True, exist_ok=True)
    subprocess.run(["chown", "munge:munge", "/run/munge"], check=True)
    subprocess.run(["su", "-s", "/bin/sh", "munge", "-c", "munged"], check=True)
    _wait(_munge_works, 20, "munged to answer")
    return MUNGE_PID


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _slurm_conf(root: Path, host: str) -> str:
    cpus = os.cpu_count() or 1
    mem_mb = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
    return f"""{MARK}\
ClusterName=rrrtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=900
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
GresTypes=gpu
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_mb} Gres=gpu:1 State=UNKNOWN
PartitionName=rrr Nodes={host} Default=YES MaxTime=INFINITE State=UP
PartitionName={PARTITION} Nodes={host} MaxTime=INFINITE State=UP
PartitionName={GPU_PARTITION} Nodes={host} MaxTime=INFINITE State=UP
"""


def _wait(ready, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.5)


def _stop(pid_file: Path) -> None:
    """SIGTERM the daemon named by one pid file, then wait for it to exit."""
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)


@pytest.fixture(scope="module")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A running single-node cluster of this test's own; yields the folder of its state and logs."""
    _install_or_skip()
    conf, gres = CONF_DIR / "slurm.conf", CONF_DIR / "gres.conf"
    for path in (conf, gres):
        if path.exists() and not path.read_text().startswith(MARK):
            pytest.skip(f"{path} configures another SLURM on this machine; this test leaves it alone")
    root = tmp_path_factory.mktemp("slurm")
    for part in ("state", "spool"):
        (root / part).mkdir()
    host = socket.gethostname().split(".")[0]
    started: list[Path] = []
    try:
        CONF_DIR.mkdir(parents=True, exist_ok=True)
        conf.write_text(_slurm_conf(root, host))
        # A count-only GPU (no device behind /dev/null): GPU requests are scheduled and get CUDA_VISIBLE_DEVICES.
        gres.write_text(MARK + f"NodeName={host} Name=gpu File=/dev/null\n")
        munged = _start_munged()
        if munged is not None:
            started.append(munged)
        for daemon in ("slurmctld", "slurmd"):
            subprocess.run([daemon], env=_env(), check=True, timeout=60)
            started.append(root / f"{daemon}.pid")
        _wait(
            lambda: _sh("sinfo --noheader --format=%t").stdout.strip() == "idle",
            60,
            f"the node to be idle (logs in {root})",
        )
        yield root
    finally:
        for pid_file in reversed(started):
            _stop(pid_file)
        for path in (conf, gres):
            path.unlink(missing_ok=True)


def _job_table() -> dict[str, tuple[str, str]]:
    """SLURM's own record of every job it has seen lately: id -> (state, comment)."""
    out = _sh("squeue --states=all --noheader --format='%i|%T|%k'").stdout
    rows = (line.split("|", 2) for line in out.splitlines() if line.strip())
    return {job_id: (state, comment) for job_id, state, comment in rows}


def _rule(slurm_log: Path) -> str:
    """The rule of a job, from its log's path: .snakemake/slurm_logs/rule_<rule>/[<wildcards>/]<jobid>.log."""
    return next(part for part in slurm_log.parts if part.startswith("rule_"))[len("rule_") :]


def _first(logs: dict[str, Path], rule: str) -> str:
    return next(job_id for job_id, path in logs.items() if _rule(path) == rule)


def test_sbatch_runs_the_train_rules_of_the_smoke_workflow(slurm: Path, project: Path, mirror: Path):
    cmd = [
        sys.executable, "-m", "snakemake", *TARGETS,
        "--workflow-profile", "profiles/slurm",
        "--configfile", "config/smoke.yaml",
        "--config", f"models_per_job={MODELS_PER_JOB}", CLUSTER,
        "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2",
        "--slurm-keep-successful-logs",
    ]  # fmt: skip
    run = subprocess.run(
        cmd, cwd=project, env=_env(RRR_DATA_MIRROR=str(mirror)), capture_output=True, text=True, timeout=1200
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-4000:]
    assert (project / "results" / "smoke" / "figures" / "paper-fig09-decoy-mnist.png").stat().st_size > 10_000
    assert (project / TARGETS[2]).is_file()

    # 1. The executor: every compute job was handed to sbatch and got a SLURM job id.
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", log)
    logs = {job_id: Path(path) for job_id, path in submitted}
    per_rule = {rule: sum(_rule(p) == rule for p in logs.values()) for rule in REMOTE_RULES}
    assert per_rule == REMOTE_RULES, log[-4000:]
    # 2. SLURM itself: each of those ids ran to COMPLETED, with the rule in its comment.
    table = _job_table()
    for job_id, path in logs.items():
        state, comment = table[job_id]
        assert state == "COMPLETED" and comment.startswith(f"rule_{_rule(path)}"), (job_id, state, comment)
        print(f"SLURM job {job_id}: {state} {comment}")  # the evidence, shown by pytest -rP
    # 3. The node: slurmd launched each batch job, and in its log snakemake ran and finished the rule inside it.
    slurmd_log = (slurm / "slurmd.log").read_text()
    for job_id, path in logs.items():
        assert f"Launching batch job {job_id}" in slurmd_log
        assert re.search(rf"^Finished jobid: \d+ \(Rule: {_rule(path)}\)", path.read_text(), re.M), path.read_text()
    # Figures, tables, the dataset copy and the merging of a sweep's jobs are localrules: never submitted.
    local = {"paper_fig09", "acquire_dataset", "decoy_mnist_fae", "decoy_mnist_condition"}
    assert not {_rule(p) for p in logs.values()} & local
    # The FAE chains trained in jobs of MODELS_PER_JOB models give the numbers of the one stacked job per round
    # that made the golden file (tests/smoke_golden.json).
    compared, changed = metrics_differences(project / "results" / "smoke", "decoy-mnist-fae")
    assert compared > 50 and not changed, changed[:20]
    # The resources reached sbatch beside the README's partition and account: an MLP training asked for its own
    # memory and time, a gradient cache (no resources of its own) for the profile's default-resources, which a
    # --default-resources on the command line would have replaced; the CNN, trained on the CPU (the smoke config's
    # adversarial.device), for its memory and no GPU (the request follows the device).
    placed = f"Partition={PARTITION} "
    for rule, memory, time_limit in [
        ("decoy_mnist_train", "4000M", "02:00:00"),
        ("decoy_mnist_gradients", "2000M", "01:00:00"),
        ("adversarial_train", "6000M", None),
    ]:
        job = _sh(f"scontrol show job {_first(logs, rule)}").stdout
        assert f"MinMemoryNode={memory}" in job and (time_limit is None or f"TimeLimit={time_limit}" in job), job
        assert placed in job and f"Account={ACCOUNT} " in job, job
        asked = re.findall(r"(?:Partition|Account|MinMemoryNode|TimeLimit)=\S+", job)
        print(f"{rule}: {' '.join(asked)}")  # the evidence, shown by pytest -rP
    assert not re.search(r"gres[:/]gpu", job), job
