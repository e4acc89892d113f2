"""Config errors name the file, line and full key: misspelt keys, YAML syntax, empty files, null sections, 1e-3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rrr.pipeline.configcheck import ConfigError, check_config, check_config_file, load_config, main

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "workflow" / "schemas"


def _snakemake_n(cwd: Path, *overlays: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "RRR_DATA_MIRROR"}
    cmd = [sys.executable, "-m", "snakemake", "paper_fig09", "-n", "--cores", "1",
           "--configfile", "config/smoke.yaml", *overlays]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _check(tmp_path: Path, overlay: dict | str) -> str:
    """The error for ``overlay`` on top of the smoke profile (itself an overlay of config/config.yaml)."""
    files = [REPO / "config" / "config.yaml", REPO / "config" / "smoke.yaml", tmp_path / "overlay.yaml"]
    files[-1].write_text(overlay if isinstance(overlay, str) else yaml.safe_dump(overlay, sort_keys=False))
    with pytest.raises(ConfigError) as err:
        check_config(load_config(*files), files, SCHEMAS)
    return str(err.value)


def test_shipped_configs_pass():
    """The default alone, and each profile as the overlay it is (merged over the default, as Snakemake does)."""
    default = REPO / "config" / "config.yaml"
    check_config(check_config_file(default), [default], SCHEMAS)
    for name in ("smoke.yaml", "adversarial-paper.yaml"):
        files = [default, REPO / "config" / name]
        check_config(load_config(*files), files, SCHEMAS)


def test_the_smoke_profile_is_an_overlay_of_only_what_differs():
    default, smoke = (yaml.safe_load((REPO / "config" / n).read_text()) for n in ("config.yaml", "smoke.yaml"))

    def same(overlay: dict, base: dict, where: str = "") -> list[str]:
        return [f"{where}{k}" for k, v in overlay.items() if base.get(k) == v] + [
            p for k, v in overlay.items() if isinstance(v, dict) and isinstance(base.get(k), dict)
            for p in same(v, base[k], f"{where}{k}.")]

    assert same(smoke, default) == [], "keys the smoke overlay repeats from config/config.yaml"
    assert len((REPO / "config" / "smoke.yaml").read_text().splitlines()) < 150


@pytest.mark.parametrize("overlay, key, suggestion", [
    ({"decoy_mnsit": {"l1": 5}}, "decoy_mnsit", "decoy_mnist"),
    ({"data_miror": "/data"}, "data_miror", "data_mirror"),
    ({"epochz": 3}, "epochz", None),
    ({"decoy_mnist": {"train": {"epochz": 3}}}, "decoy_mnist.train.epochz", "epochs"),
    ({"toy_color": {"lime": {"num_sample": 10}}}, "toy_color.lime.num_sample", "num_samples"),
])
def test_unknown_keys_are_named_with_their_file_and_line(tmp_path: Path, overlay, key, suggestion):
    message = _check(tmp_path, overlay)
    assert f"unknown key {key}" in message
    assert "overlay.yaml:" in message
    if suggestion:
        assert f"did you mean {suggestion}" in message


def test_every_top_level_key_of_the_schema_is_a_config_key():
    top = yaml.safe_load((SCHEMAS / "config.schema.yaml").read_text())
    shipped = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert top["additionalProperties"] is False
    assert set(top["properties"]) == set(shipped) == set(top["required"])
    sections = {key for key, schema in top["properties"].items() if schema.get("type") == "object"}
    assert set(shipped) - sections == {"profile", "data_mirror", "threads", "device", "models_per_job",
                                      "table1_repeats"}
    for section in sections:
        assert (SCHEMAS / f"{section}.schema.yaml").is_file(), section


def test_section_schemas_reject_unknown_keys():
    """Every object schema that lists its keys says additionalProperties (false, or a schema for named entries);
    the top level's sections (type object, no keys listed) are checked by their own schema."""
    def objects(node, where):
        if isinstance(node, dict):
            if "properties" in node:
                yield where, node
            for k, v in node.items():
                yield from objects(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from objects(v, f"{where}[{i}]")

    for schema in SCHEMAS.glob("*.schema.yaml"):
        for where, node in objects(yaml.safe_load(schema.read_text()), schema.name):
            assert "additionalProperties" in node, where
            assert node["additionalProperties"] is False or "$ref" in node["additionalProperties"], where


def test_number_read_as_string_gets_the_hint(tmp_path: Path):
    message = _check(tmp_path, "decoy_mnist:\n  train:\n    lr: 1e-3\n")
    assert "decoy_mnist.train.lr = '1e-3'" in message
    assert "overlay.yaml:3" in message and "config.yaml:" in message  # the file that set it, and what it overrode
    assert "1.0e-3" in message and "0.001" in message
    message = _check(tmp_path, "decoy_mnist:\n  train:\n    epochs: 1e2\n")
    assert "decoy_mnist.train.epochs = '1e2'" in message and "write 100" in message


def test_null_section_is_named(tmp_path: Path):
    message = _check(tmp_path, "decoy_mnist: null\n")
    assert "decoy_mnist = null" in message and "overlay.yaml:1" in message and "mapping" in message


def test_missing_key_names_the_section_and_file(tmp_path: Path):
    main_file = tmp_path / "config.yaml"
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    del cfg["toy2d"]["train"]["lr"]
    main_file.write_text(yaml.safe_dump(cfg, sort_keys=False))
    with pytest.raises(ConfigError, match=r"toy2d\.train\.lr is missing \(toy2d\.train set in .*config\.yaml:\d+"):
        check_config(cfg, [main_file], SCHEMAS)


@pytest.mark.parametrize("text, expected", [
    ("decoy_mnist:\n  train: {epochs: 3\n", r"bad\.yaml:3:1: not valid YAML: .*starts on line 2"),
    ("profile: x\n\tthreads: 1\n", r"bad\.yaml:2:1: not valid YAML: .*'\\t'"),
    ("", r"config file .*bad\.yaml is empty"),
    ("# only a comment\n", r"config file .*bad\.yaml is empty"),
    ("- a\n- b\n", r"its top level is a list, not a mapping"),
])
def test_unparsable_file_names_file_and_line(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        check_config_file(path)


def test_cli_checks_overlays(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    bad = tmp_path / "bad.yaml"
    bad.write_text("decoy_mnist:\n  train: {epochs: 3\n")
    assert main(["config/smoke.yaml", str(bad)]) == 1
    assert "bad.yaml:3:1" in capsys.readouterr().err
    assert main(["config/smoke.yaml"]) == 0
    assert "ok: config/config.yaml, config/smoke.yaml" in capsys.readouterr().out


# --- The same through snakemake -n --------------------------------------------------------------------------------


def test_snakemake_rejects_misspelt_top_level_keys(project: Path):
    (project / "typos.yaml").write_text("decoy_mnsit: {l1: 5}\ndata_miror: /data\nepochz: 3\n")
    run = _snakemake_n(project, "typos.yaml")
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    for line, key in enumerate(("decoy_mnsit", "data_miror", "epochz"), start=1):
        assert f"unknown key {key} (set in typos.yaml:{line})" in out, out[-3000:]
    assert "did you mean decoy_mnist?" in out


@pytest.mark.parametrize("name, text, expected", [
    ("null-section.yaml", "decoy_mnist: null\n", ["decoy_mnist = null (set in null-section.yaml:1", "mapping"]),
    ("lr.yaml", "decoy_mnist:\n  train:\n    lr: 1e-3\n",
     ["decoy_mnist.train.lr = '1e-3' (set in lr.yaml:3, which overrides config/config.yaml:", "write 1.0e-3"]),
])
def test_snakemake_config_errors_name_file_line_and_key(project: Path, name: str, text: str, expected: list[str]):
    (project / name).write_text(text)
    run = _snakemake_n(project, name)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "TypeError" not in out and "Traceback" not in out, out[-3000:]
    for part in expected:
        assert part in out, out[-3000:]


@pytest.mark.parametrize("text, expected", [
    ("decoy_mnist:\n  train: {epochs: 3\n", "config/config.yaml:3:1: not valid YAML"),
    ("", "config file config/config.yaml is empty"),
])
def test_snakemake_broken_main_config_names_file_and_line(project: Path, text: str, expected: str):
    (project / "config" / "config.yaml").write_text(text)
    run = _snakemake_n(project)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert expected in out and "not valid JSON or YAML" not in out, out[-3000:]


@pytest.mark.parametrize("text, key, shown", [
    ("decoy_mnist:\n  l1: .nan\n", "decoy_mnist.l1", "nan"),
    ("decoy_mnist:\n  train:\n    lr: .inf\n", "decoy_mnist.train.lr", "inf"),
    ("decoy_mnist:\n  fae:\n    l1: [1000, -.inf]\n", "decoy_mnist.fae.l1[1]", "-inf"),
])
def test_a_nan_or_inf_number_is_named_with_its_file_and_line(tmp_path: Path, text: str, key: str, shown: str):
    message = _check(tmp_path, text)
    assert f"{key} = {shown} (set in " in message and "not a finite number" in message
    assert f"overlay.yaml:{text.count(chr(10))}" in message
    assert message.count(key + " =") == 1  # once, even where the schema also rejects it


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_the_device_key_takes_cpu_or_cuda(tmp_path: Path, device: str):
    """The top-level `device` (where every model trains) and adversarial.device (null: follow it) pass the check."""
    files = [REPO / "config" / "config.yaml", REPO / "config" / "smoke.yaml", tmp_path / "overlay.yaml"]
    files[-1].write_text(yaml.safe_dump({"device": device, "adversarial": {"device": None}}))
    check_config(load_config(*files), files, SCHEMAS)


def test_another_device_is_rejected_naming_the_key(tmp_path: Path):
    message = _check(tmp_path, {"device": "gpu"})
    assert "device" in message and "overlay.yaml" in message and "'cpu'" in message and "'cuda'" in message


def test_the_device_key_is_required(tmp_path: Path):
    config = load_config(REPO / "config" / "config.yaml")
    del config["device"]
    with pytest.raises(ConfigError, match="device is missing"):
        check_config(config, [REPO / "config" / "config.yaml"], SCHEMAS)
