"""Issue 17: a command line that starts at once. Whole processes are timed, from their
start to their exit, against `python -c "import typer, sqlalchemy"` (the two libraries
every command needs) in the same run: `tracelot --help`, and `tracelot where REF` on a
small database; each the best of N runs, the three interleaved so that a busy moment of
the machine weighs on all of them. Then the demo and the tour of `make run` (`tracelot
demo`, then scripts/tour: fourteen commands), once each.

The tracelot package is compiled to bytecode first (as an installed package is): what is
timed is loading and running, not compiling the sources again on every run, as Python
does with PYTHONDONTWRITEBYTECODE set and no cache.
"""

from __future__ import annotations

import compileall
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from harness import Context, Target, fmt_s, fresh

import tracelot

ROOT = Path(__file__).resolve().parents[1]
BASELINE = [sys.executable, "-c", "import typer, sqlalchemy"]


def _timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process, its standard output); refuses a failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def run(ctx: Context) -> None:
    compileall.compile_dir(Path(tracelot.__file__).parent, quiet=1)
    command = str(Path(sys.executable).with_name("tracelot"))  # the console script
    path, tl = fresh(ctx, "startup")
    tl.add_location("WH", kind="warehouse")
    tl.add_item("PCB", name="Board", tracking="serial")
    tl.receive("PCB", to="WH", serials="S0001..S0100")
    tl.close()
    env = {**os.environ, "TRACELOT_DATABASE_URL": f"sqlite:///{path}", "TRACELOT_USER": "bench"}
    runs = {
        "baseline": BASELINE,
        "help": [command, "--help"],
        "where": [command, "where", "PCB:S0042"],
    }
    rounds = 3 if ctx.quick else 12
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for n in range(rounds + 1):
        for name, argv in runs.items():
            wall, cpu, out = _timed(argv, env)
            if name == "where":
                ctx.check("S0042" in out, f"where printed no S0042: {out[-500:]!r}")
            if n:  # the first round warms the caches and is not counted
                walls[name].append(wall)
                cpus[name].append(cpu)
    base, how = min(walls["baseline"]), f"best of {rounds}"
    baseline_name = 'python -c "import typer, sqlalchemy", interleaved'
    same = {"how": how, "baseline": base, "baseline_name": baseline_name}
    ctx.row("tracelot --help", min(walls["help"]), targets=[Target("max_ratio", 1.3)], **same)
    ctx.row("tracelot where ITEM:SERIAL (a database of 100 units)", min(walls["where"]),
            targets=[Target("max_ratio", 2.0)], **same)  # fmt: skip
    ctx.note(
        "CPU, best of each (baseline / --help / where)",
        " / ".join(fmt_s(min(cpus[name])) for name in runs),
    )
    if ctx.quick:
        ctx.note("demo and tour", "not run with --quick")
        return

    demo = ctx.db_path("startup-demo")
    env = {**env, "TRACELOT_DATABASE_URL": f"sqlite:///{demo}"}
    wall, cpu, _ = _timed([command, "demo"], env)
    ctx.row("tracelot demo (load the demo data set)", wall, note=f"CPU {fmt_s(cpu)}")
    wall, cpu, out = _timed([str(ROOT / "scripts" / "tour")], env)
    steps = out.count("\n== ")
    ctx.check(steps >= 14, f"the tour ran {steps} commands")
    ctx.row(f"scripts/tour ({steps} tracelot commands)", wall, note=f"CPU {fmt_s(cpu)}")
