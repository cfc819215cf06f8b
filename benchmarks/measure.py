"""Measure what the README promises and write a table to build/benchmarks.md.

    python benchmarks/measure.py [--install] [--full] [--tests]

--install  time a fresh virtual environment and `pip install` from requirements.lock
--full     also run every lab in the full profile
--tests    time the whole pytest suite

The smoke run of every lab is always measured. Timings are wall-clock seconds on this
machine; the table says which machine that was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"


def timed(cmd: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)
    return time.perf_counter() - start


def lab_runs(profile: str) -> list[dict]:
    out = BUILD / f"bench-{profile}"
    subprocess.run([sys.executable, "-m", "dlcourse", "run", "--profile", profile,
                    "--workers", "1", "--out", str(out)], cwd=ROOT, check=False,
                   stdout=subprocess.DEVNULL)
    return json.loads((out / "report.json").read_text())["labs"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--tests", action="store_true")
    args = parser.parse_args()

    lines = ["# Benchmarks", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}.", ""]
    if args.install:
        venv = BUILD / "bench-venv"
        shutil.rmtree(venv, ignore_errors=True)
        seconds = timed([sys.executable, "-m", "venv", str(venv)])
        seconds += timed([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          "-c", "requirements.lock", "-e", ".[dev]"])
        lines += [f"Fresh install (venv + pip, package cache as found): {seconds:.0f} s", ""]

    runs = {"smoke": lab_runs("smoke")}
    if args.full:
        runs["full"] = lab_runs("full")
    lines += ["| lab | profile | status | time (s) | key metric |",
              "| --- | --- | --- | --- | --- |"]
    for profile, labs in runs.items():
        for lab in labs:
            metric = "; ".join(f"{k} = {v}" for k, v in lab["metrics"].items()) or "-"
            lines.append(f"| {lab['lab']} | {profile} | {lab['status']} | {lab['seconds']:.1f} "
                         f"| {metric} |")
    if args.tests:
        seconds = timed([sys.executable, "-m", "pytest", "-q", "-n", "2"],
                        stdout=subprocess.DEVNULL)
        lines += ["", f"Test suite (pytest -n 2): {seconds:.0f} s"]

    BUILD.mkdir(exist_ok=True)
    (BUILD / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
