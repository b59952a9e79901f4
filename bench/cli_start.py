"""How long does a `docgen` command take to start, against Python and Flask themselves?

Times, as the median of N runs of a fresh process each, `docgen --help`, `docgen verify --help`
and `docgen verify FILE` (a file that is not a PDF, in an instance made by `docgen init` first: the
verdict needs the organisation's certificate and database, so this one builds the app), against
`python -c pass` and `python -c "import flask"` measured in the same run. A command's help imports
no more than the group needs (docgen.main), so it should cost about what importing Flask costs.
Target: `docgen --help` <= 0.5 s. Run: .venv/bin/python bench/cli_start.py [--runs 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCGEN = [sys.executable, "-m", "docgen.main"]  # as tests/e2e/test_cli.py runs it


def _median_seconds(command: list[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of `runs` runs, after one unmeasured run that warms the file cache."""
    samples = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DOCGEN_INSTANCE_PATH": str(Path(tmp) / "instance"), "DOCGEN_TASKS_URL": "memory"}
        subprocess.run(DOCGEN + ["init"], env=env, capture_output=True, check=True)
        not_a_pdf = Path(tmp) / "letter.txt"
        not_a_pdf.write_text("Dear Sam, this is not a sealed record.\n")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import flask'": [sys.executable, "-c", "import flask"],
            "docgen --help": DOCGEN + ["--help"],
            "docgen verify --help": DOCGEN + ["verify", "--help"],
            "docgen verify FILE": DOCGEN + ["verify", str(not_a_pdf)],
        }
        timed = {name: _median_seconds(command, env, runs) for name, command in commands.items()}
    bare, flask = timed["python -c pass"], timed["python -c 'import flask'"]
    print(f"{'command':<26} {'median (s)':>10} {'/ python':>9} {'/ flask':>8}   (median of {runs} runs)")
    for name, seconds in timed.items():
        print(f"{name:<26} {seconds:>10.3f} {seconds / bare:>9.2f} {seconds / flask:>8.2f}")
    verdict = "met" if timed["docgen --help"] <= 0.5 else "NOT met"
    print(f"target: docgen --help <= 0.5 s: {verdict}")


if __name__ == "__main__":
    main()
