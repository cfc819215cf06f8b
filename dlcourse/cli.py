"""The ``dlcourse`` command: data, release, run, selftest, and grading a class."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dlcourse.grading.sandbox import SandboxUnavailable
from dlcourse.runtime import PROFILES


def _cmd_data(args) -> int:
    from dlcourse.datasets import fetch_all, load_registry
    from dlcourse.datasets.files import DatasetError, cache_dir, cached_path, is_valid

    registry = load_registry()
    names = args.names or sorted(registry)
    unknown = [n for n in names if n not in registry]
    if unknown:
        print(f"unknown dataset(s) {unknown}; registered: {', '.join(sorted(registry))}",
              file=sys.stderr)
        return 2
    if args.action == "list":
        print(f"cache: {cache_dir()}")
        for name in names:
            ds = registry[name]
            size = sum(f.bytes for f in ds.files if not f.optional) / 1e6
            print(f"{name:14} {size:8.1f} MB  {_cache_state(ds):15} {ds.title}")
            print(f"{'':14} licence: {ds.licence}; cite: {ds.citation}")
        return 0
    failures = 0
    for name in names:
        ds = registry[name]
        if args.action == "fetch":
            try:
                fetch_all(name)
                print(f"{name}: ok")
            except DatasetError as exc:
                failures += 1
                print(exc, file=sys.stderr)
        else:  # verify
            for f in ds.files:
                path = cached_path(ds, f)
                state = "ok" if is_valid(path, f) else ("missing" if not path.exists() else "BAD")
                if state == "missing" and f.optional:
                    state = "not cached (optional)"
                failures += state == "BAD"
                print(f"{name}/{f.name}: {state}")
    return 1 if failures else 0


def _cache_state(ds) -> str:
    """'cached', 'cached (subset)' or '' for a dataset's required files."""
    from dlcourse.datasets.files import cached_path, sha256_of

    states = []
    for f in ds.files:
        path = cached_path(ds, f)
        if f.optional and not path.is_file():
            continue
        if not path.is_file():
            return ""
        states.append(f.is_subset(sha256_of(path)))
    return "cached (subset)" if any(states) else "cached"


def _cmd_release(args) -> int:
    from dlcourse.course import select_labs
    from dlcourse.grading.release import release

    for lab in select_labs(args.labs):
        print(f"released {release(lab)}")
    return 0


def _cmd_run(args) -> int:
    from dlcourse.course import course_root, select_labs
    from dlcourse.execute import run

    out = Path(args.out) if args.out else course_root() / "build" / "run"
    results = run(select_labs(args.labs), out, args.profile, args.workers, args.timeout)
    print((out / "report.md").read_text())
    return 0 if all(r.status == "ok" for r in results) else 1


def _cmd_selftest(args) -> int:
    from dlcourse.course import select_labs
    from dlcourse.grading import sandbox, selftest

    sandbox.require(args.unsandboxed)
    results = selftest.run(select_labs(args.labs), args.workers)
    print(selftest.format_results(results))
    return 0 if all(r.ok for r in results) else 1


def _cmd_check(args) -> int:
    from dlcourse.preflight import check_file

    verdict = check_file(Path(args.notebook), run=not args.no_run)
    print(verdict.format())
    return 0 if verdict.ready or (args.no_run and not verdict.structure) else 1


def _cmd_collect(args) -> int:
    from dlcourse.course import select_labs
    from dlcourse.grading.classroom import collect

    (lab,) = select_labs([args.lab])
    collected, rejected = collect(lab, Path(args.folder))
    print(f"collected {len(collected)} submissions of {lab.id}")
    for name, why in rejected.items():
        print(f"rejected {name}: {why}", file=sys.stderr)
    return 1 if rejected else 0


def _cmd_autograde(args) -> int:
    from dlcourse.course import select_labs
    from dlcourse.grading.classroom import autograde_class

    failures = 0
    for lab in select_labs(args.labs):
        report = autograde_class(lab, unsandboxed=args.unsandboxed, policy=args.integrity,
                                 workers=args.workers, force=args.force, whole=args.whole,
                                 progress=True)
        print(report.format())
        failures += len(report.problems)
    return 1 if failures else 0


def _cmd_feedback(args) -> int:
    from dlcourse.course import select_labs
    from dlcourse.grading.classroom import feedback

    for lab in select_labs(args.labs):
        print(f"feedback for {lab.id} in {feedback(lab)}")
    return 0


def _cmd_report(args) -> int:
    from dlcourse.course import select_labs
    from dlcourse.grading import class_report

    for lab in select_labs(args.labs):
        print(f"class report for {lab.id}: {class_report.write(lab)}")
    return 0


def _cmd_similarity(args) -> int:
    from dlcourse.course import select_labs
    from dlcourse.grading.similarity import class_similarity

    (lab,) = select_labs([args.lab])
    pairs, page = class_similarity(lab, threshold=args.threshold, min_tokens=args.min_tokens)
    print(f"{lab.id}: {len(pairs)} pair(s) at or above {args.threshold:.0%} similarity")
    for p in pairs:
        print(f"  {p.a:24} {p.b:24} {p.score:5.0%}  ({p.shared_tokens} shared tokens)")
    print(f"side by side: {page}")
    return 0


def _cmd_export(args) -> int:
    from dlcourse.course import course_root
    from dlcourse.grading.exports import export_all

    root = course_root()
    folder = Path(args.out) if args.out else root / "grading" / "exports"
    for path in export_all(root, folder):
        print(f"wrote {path}")
    return 0


def _sandbox_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unsandboxed", action="store_true",
                        help="run submissions WITHOUT isolation (only where bubblewrap "
                             "cannot run; every run warns)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlcourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="list, fetch or verify the registered datasets")
    data.add_argument("action", choices=["list", "fetch", "verify"])
    data.add_argument("names", nargs="*", help="dataset names (default: all)")
    data.set_defaults(func=_cmd_data)

    rel = sub.add_parser("release", help="generate labs/ from solutions/ with nbgrader")
    rel.add_argument("labs", nargs="*", help="lab ids or numbers (default: all)")
    rel.set_defaults(func=_cmd_release)

    run = sub.add_parser("run", help="execute the solution notebooks and write a report")
    run.add_argument("labs", nargs="*")
    run.add_argument("--profile", choices=PROFILES, default="smoke")
    run.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    run.add_argument("--timeout", type=int, default=1200, help="seconds per notebook")
    run.add_argument("--out", help="output folder (default: build/run)")
    run.set_defaults(func=_cmd_run)

    st = sub.add_parser("selftest", help="prove that every lab's grader grades")
    st.add_argument("labs", nargs="*")
    st.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    _sandbox_option(st)
    st.set_defaults(func=_cmd_selftest)

    ch = sub.add_parser("check", help="before submitting: graded cells intact, runs, checks pass")
    ch.add_argument("notebook")
    ch.add_argument("--no-run", action="store_true", help="only check the graded cells")
    ch.set_defaults(func=_cmd_check)

    col = sub.add_parser("collect", help="file FOLDER/<student>.ipynb as submissions of LAB")
    col.add_argument("lab")
    col.add_argument("folder")
    col.set_defaults(func=_cmd_collect)

    ag = sub.add_parser("autograde", help="autograde every submission and summarise the class")
    ag.add_argument("labs", nargs="*")
    _sandbox_option(ag)
    ag.add_argument("--integrity", choices=["flag", "zero"], default="flag",
                    help="answers that try to game the grader: flag them for review "
                         "(default) or score their tasks 0")
    ag.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="submissions graded at once (default: the number of cores)")
    ag.add_argument("--force", action="store_true",
                    help="grade again submissions already graded and unchanged")
    ag.add_argument("--whole", action="store_true",
                    help="always run the lab's demo cells too (slower; same scores)")
    ag.set_defaults(func=_cmd_autograde)

    fb = sub.add_parser("feedback", help="write HTML feedback for graded submissions")
    fb.add_argument("labs", nargs="*")
    fb.set_defaults(func=_cmd_feedback)

    rp = sub.add_parser("report", help="the class report of graded labs (HTML)")
    rp.add_argument("labs", nargs="*")
    rp.set_defaults(func=_cmd_report)

    si = sub.add_parser("similarity", help="pairs of students with very similar answers (HTML)")
    si.add_argument("lab")
    si.add_argument("--threshold", type=float, default=0.8,
                    help="share of answer tokens in common to list a pair (default 0.8)")
    si.add_argument("--min-tokens", type=int, default=30,
                    help="and at least this many tokens in common (default 30)")
    si.set_defaults(func=_cmd_similarity)

    ex = sub.add_parser("export", help="write the grades as CSV: long, wide and for Canvas")
    ex.add_argument("--out", help="folder; default: grading/exports/")
    ex.set_defaults(func=_cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:  # the expected failures get one line, anything else a traceback
        from dlcourse.grading.nbgrader_api import GradingError

        if not isinstance(exc, (ValueError, FileNotFoundError, KeyError, SandboxUnavailable,
                                GradingError)):
            raise
        print(f"dlcourse: {exc}", file=sys.stderr)
        return 2
