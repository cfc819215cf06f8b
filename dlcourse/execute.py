"""``dlcourse run``: execute lab notebooks headless with papermill and write a report.

Each notebook runs in its own process with a hard time limit, in a scratch folder under
the build directory, so a hanging or crashing lab cannot stop the others.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from dlcourse.course import Lab
from dlcourse.grading.config import headless_environment
from dlcourse.runtime import METRIC_MIME


@dataclass
class RunResult:
    lab: str
    status: str  # "ok", "failed" or "timeout"
    seconds: float
    metrics: dict[str, str]
    detail: str = ""


def run_lab(lab: Lab, out_dir: Path, profile: str, timeout: int) -> RunResult:
    work = out_dir / lab.id
    work.mkdir(parents=True, exist_ok=True)
    executed = work / f"{lab.id}.ipynb"
    log = work / "papermill.log"
    env = headless_environment(DLCOURSE_PROFILE=profile)
    cmd = [sys.executable, "-m", "papermill", str(lab.source), str(executed),
           "-p", "PROFILE", profile, "--cwd", str(work), "-k", "python3", "--no-progress-bar"]
    start = time.perf_counter()
    try:
        with open(log, "w") as fh:
            proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env,
                                  timeout=timeout)
        status = "ok" if proc.returncode == 0 else "failed"
        detail = "" if status == "ok" else _last_error(executed, log)
    except subprocess.TimeoutExpired:
        status, detail = "timeout", f"stopped after {timeout} s"
    seconds = time.perf_counter() - start
    return RunResult(lab.id, status, round(seconds, 1), read_metrics(executed), detail)


def read_metrics(executed: Path) -> dict[str, str]:
    """The key metrics a notebook recorded with ``dlcourse.record_metric``."""
    if not executed.is_file():
        return {}
    metrics = {}
    for cell in nbformat.read(executed, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(METRIC_MIME)
            if data:
                metrics[data["name"]] = data["shown"]
    return metrics


def executed_problems(nb) -> list[str]:
    """What an executed lab must show: a figure, a recorded key metric, no stderr."""
    outputs = [o for cell in nb.cells for o in cell.get("outputs", [])]
    problems = []
    if not any("image/png" in o.get("data", {}) for o in outputs):
        problems.append("draws no figure")
    if not any(METRIC_MIME in o.get("data", {}) for o in outputs):
        problems.append("records no key metric (dlcourse.record_metric)")
    problems += [f"writes to stderr: {o['text'][:120]!r}" for o in outputs
                 if o.get("name") == "stderr"]
    return problems


def _last_error(executed: Path, log: Path) -> str:
    if executed.is_file():
        for cell in nbformat.read(executed, as_version=4).cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    return f"{output['ename']}: {output['evalue']}"[:300]
    lines = log.read_text(errors="replace").strip().splitlines()
    return lines[-1][:300] if lines else "no output"


def run(labs: list[Lab], out_dir: Path, profile: str = "smoke", workers: int = 1,
        timeout: int = 1200) -> list[RunResult]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(lambda lab: run_lab(lab, out_dir, profile, timeout), labs))
    write_report(results, out_dir, profile)
    return results


def write_report(results: list[RunResult], out_dir: Path, profile: str) -> Path:
    (out_dir / "report.json").write_text(
        json.dumps({"profile": profile, "labs": [asdict(r) for r in results]}, indent=2) + "\n"
    )
    lines = [f"# Lab run report (profile: {profile})", "",
             "| lab | status | time (s) | key metric | detail |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        metric = "; ".join(f"{k} = {v}" for k, v in r.metrics.items()) or "-"
        lines.append(f"| {r.lab} | {r.status} | {r.seconds:.1f} | {metric} | {r.detail or ''} |")
    total = sum(r.seconds for r in results)
    ok = sum(r.status == "ok" for r in results)
    lines += ["", f"{ok} of {len(results)} labs ran; {total:.1f} s of notebook time in all."]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
