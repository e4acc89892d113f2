"""What the code fingerprints (rrr.pipeline.fingerprint) add to a dry run: hashing every workflow script's code closure,
relative to the same `snakemake -n` whose parse does it.

    python benchmarks/bench_fingerprint.py [--rounds 3] [--target paper_fig09]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fingerprint_seconds() -> float:
    """A fresh interpreter hashing all scripts, as snakemake's parse does once per run (its caches start empty)."""
    code = (
        "import time, glob; from pathlib import Path; t = time.perf_counter(); import rrr.pipeline.fingerprint as f; "
        "[f.code_fingerprint(Path(s)) for s in glob.glob('workflow/scripts/*.py')]; print(time.perf_counter() - t)"
    )
    return float(subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                                check=True).stdout)


def dry_run_seconds(target: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snakemake", "-n", target, "--configfile", "config/smoke.yaml"], cwd=REPO,
                   capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", default="paper_fig09")
    args = parser.parse_args()
    hashing, dry = [], []
    for _ in range(args.rounds):  # interleaved, so a busy machine slows both alike
        hashing.append(fingerprint_seconds())
        dry.append(dry_run_seconds(args.target))
    h, d = statistics.median(hashing), statistics.median(dry)
    print(f"hashing {len(list((REPO / 'workflow' / 'scripts').glob('*.py')))} scripts' code: {h:.2f} s; "
          f"snakemake -n {args.target}: {d:.2f} s; share of the dry run: {h / d:.1%}")


if __name__ == "__main__":
    main()
