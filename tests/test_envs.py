"""The conda environment the rules name (envs/rrr.yaml) holds every runtime dependency of the package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch", "matplotlib": "matplotlib-base", "seaborn": "seaborn-base"}  # conda-forge's


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9_.\-]+", requirement.strip()).group(0).lower()


def test_the_rules_environment_lists_every_runtime_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "envs" / "rrr.yaml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    pip = {_name(d) for d in env["dependencies"] if isinstance(d, dict) for d in d.get("pip", [])}
    missing = [r for r in project["dependencies"] if CONDA_NAMES.get(_name(r), _name(r)) not in conda | pip]
    assert not missing, f"envs/rrr.yaml lacks {missing} (pyproject.toml's dependencies)"


def test_every_rule_names_that_environment():
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for path in re.findall(r"conda:\s*\n\s*\"([^\"]+)\"", smk.read_text()):
            assert (smk.parent / path).resolve() == REPO / "envs" / "rrr.yaml", (smk.name, path)
    assert (REPO / "envs" / "rrr.post-deploy.sh").is_file()  # beside the env file, where snakemake looks for it


def _locked(lock: str) -> dict[str, str]:
    return {m[0].lower(): m[1] for m in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+) \\$", lock, flags=re.M)}


def test_the_lock_pins_every_dependency_with_hashes_and_torch_on_cpu():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lock = (REPO / "envs" / "cpu.lock").read_text()
    locked = _locked(lock)
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    missing = [r for r in wanted if _name(r).replace("_", "-") not in locked]
    assert not missing, f"envs/cpu.lock lacks {missing}: regenerate it with `bash envs/lock.sh`"
    assert locked["torch"].endswith("+cpu"), "envs/cpu.lock must pin torch's CPU build"
    assert lock.count("--hash=sha256:") >= len(locked), "every locked package needs its hash"
    assert "--require-hashes -r envs/cpu.lock" in (REPO / ".ci" / "run").read_text()
    assert "--require-hashes -r envs/cpu.lock" in (REPO / "README.md").read_text()


def _env_pins(env: dict) -> dict[str, str | None]:
    """envs/rrr.yaml's packages by their PyPI name: the exact version each pins (conda `name =1.2.3[=build]`, pip
    `name==1.2.3`), None where it pins none."""
    pins: dict[str, str | None] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(?:=\s*([^=\s<>,*]+)(?:=\S+)?|.*)", dep.split("#")[0].strip())
            pypi = {conda: pypi for pypi, conda in CONDA_NAMES.items()}.get(match[1].lower(), match[1].lower())
            pins[pypi] = match[2]
        else:
            for req in dep.get("pip", []):
                match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(?:==\s*([^\s,;]+)|.*)", req.strip())
                pins[match[1].lower()] = match[2]
    return pins


def _disagreements(pins: dict[str, str | None], locked: dict[str, str]) -> list[str]:
    """Each package both files name whose env pin is not the lock's version (the lock's local tag, +cpu, aside)."""
    return [
        f"{name}: envs/rrr.yaml {pin or 'unpinned'}, envs/cpu.lock {locked[name]}"
        for name, pin in sorted(pins.items())
        if name in locked and pin != locked[name].split("+")[0]
    ]


def test_the_rules_environment_pins_the_locks_versions():
    pins = _env_pins(yaml.safe_load((REPO / "envs" / "rrr.yaml").read_text()))
    locked = _locked((REPO / "envs" / "cpu.lock").read_text())
    assert len(set(pins) & set(locked)) >= 10, "envs/rrr.yaml and envs/cpu.lock should share the runtime packages"
    wrong = _disagreements(pins, locked)
    assert not wrong, "envs/rrr.yaml disagrees with envs/cpu.lock (copy the lock's versions): " + "; ".join(wrong)


def test_a_disagreement_is_named():
    env = {"dependencies": ["numpy >=1.24", "pytorch =2.0.0=cpu_*", {"pip": ["lime==0.1"]}]}
    wrong = _disagreements(_env_pins(env), {"numpy": "2.4.6", "torch": "2.13.0+cpu", "lime": "0.2.0.1"})
    assert wrong == [
        "lime: envs/rrr.yaml 0.1, envs/cpu.lock 0.2.0.1",
        "numpy: envs/rrr.yaml unpinned, envs/cpu.lock 2.4.6",
        "torch: envs/rrr.yaml 2.0.0, envs/cpu.lock 2.13.0+cpu",
    ]
