"""Messages for two workflow faults Snakemake words poorly: a folder locked by another live run, a target no rule has.

Snakemake's lock error suggests ``--unlock`` even while the run that holds the lock is alive (unlocking then lets
two runs write the same files); :func:`lock_note` names the folder and the live snakemake processes in it, so the
user waits for them. An unknown target (``snakemake paper_fig99``) gets "no rule to produce" and no list of the
targets there are; :func:`unknown_target_message` lists them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

PROC = Path("/proc")
# The targets a user names: the papers whole, every figure and table, the claims and their records.
TARGET_RULE = re.compile(r"(all|paper|thesis|claims\w*|provenance|thesis_adversarial|(paper|thesis)_(fig|table)\w*)")


def is_snakemake_command(argv: list[bytes]) -> bool:
    """Whether a command line (/proc/<pid>/cmdline split at NUL) runs snakemake itself: ``snakemake ...``,
    ``python /…/bin/snakemake ...`` or ``python -m snakemake ...``; not a job's ``python .snakemake/scripts/…``."""
    head = argv[:3]
    return any(os.path.basename(a) == b"snakemake" or a.endswith(b"snakemake/__main__.py") for a in head)


def _ancestors(pid: int) -> set[int]:
    """``pid`` and every process above it (Linux /proc), so a run never counts itself or its own snakemake."""
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        try:
            pid = int((PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return seen


def snakemake_runs(directory: str | Path) -> list[tuple[int, str]]:
    """The snakemake processes working in ``directory`` other than this one and its ancestors: (pid, command line).
    Empty where /proc cannot tell (not Linux, or another user's processes)."""
    directory = Path(directory).resolve()
    own = _ancestors(os.getpid())
    runs = []
    for proc in PROC.glob("[0-9]*") if PROC.is_dir() else []:
        try:
            pid = int(proc.name)
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if pid in own or not is_snakemake_command(argv):
                continue
            if Path(os.readlink(proc / "cwd")).resolve() == directory:
                runs.append((pid, b" ".join(argv).decode(errors="replace").strip()))
        except (OSError, ValueError):
            continue
    return sorted(runs)


def lock_note(directory: str | Path) -> str | None:
    """What to do about the Snakemake lock on ``directory`` (its .snakemake/locks), or None where there is none."""
    directory = Path(directory).resolve()
    locks = directory / ".snakemake" / "locks"
    if not locks.is_dir() or not any(locks.iterdir()):
        return None
    runs = snakemake_runs(directory)
    if runs:
        listed = "\n".join(f"  pid {pid}: {cmd[:200]}" for pid, cmd in runs)
        return (
            f"{directory} is locked by another snakemake run, still alive:\n{listed}\n"
            "If this run is refused ('Directory cannot be locked'), wait for that run to end (`ps -p <pid>`), or stop "
            "it (Ctrl-C in its terminal, or `kill <pid>`). Do not `snakemake --unlock` while it runs: two runs would "
            "write the same files."
        )
    return (
        f"{directory} holds a lock ({locks}) but no snakemake runs there (checked with /proc; check `ps -ef | grep "
        "snakemake` on every machine that shares the folder): a run that was killed left it. If this run is refused, "
        "`snakemake --unlock` removes it."
    )


def command_line_targets(argv: list[str]) -> list[str]:
    """The targets of a ``snakemake`` command line (its positional arguments, read by Snakemake's own parser); none
    where ``argv`` is not one (the API, a job's inner snakemake) or cannot be read. Snakemake parses a Snakefile
    before it is given the targets, so the Snakefile reads them here."""
    if not argv or not re.search(r"snakemake(\.exe)?$|snakemake/__main__\.py$", argv[0]):
        return []
    try:
        from snakemake.cli import get_argument_parser

        args, _ = get_argument_parser().parse_known_args(argv[1:])
    except (Exception, SystemExit):  # an unusual command line: Snakemake's own message follows
        return []
    return list(args.targets or [])


def unknown_targets(targets: Iterable[str], rules: Iterable[str], exists: Callable[[str], bool] = os.path.exists):
    """The targets that look like a rule's name (no path, no extension) but name no rule and no existing file."""
    names = set(rules)
    return [t for t in targets if re.fullmatch(r"[A-Za-z_]\w*", t) and t not in names and not exists(t)]


def target_rules(rules: Iterable[str]) -> list[str]:
    """The rules a user names as targets (:data:`TARGET_RULE`), papers first, figures in number order."""

    def order(name: str) -> tuple:
        return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))

    return sorted((r for r in rules if TARGET_RULE.fullmatch(r)), key=order)


def unknown_target_message(unknown: list[str], rules: Iterable[str]) -> str:
    """The error for targets no rule produces: each one, the closest target names, and every valid target."""
    import difflib

    valid = target_rules(rules)
    lines = []
    for target in unknown:
        close = difflib.get_close_matches(target, valid, n=3, cutoff=0.6)
        lines.append(
            f"Unknown target {target!r}: no rule and no file has that name"
            + (f" (did you mean {', '.join(close)}?)" if close else "")
        )
    lines.append("Valid targets (besides output files): " + ", ".join(valid))
    return "\n".join(lines)
