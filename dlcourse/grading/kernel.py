"""Kernel launcher for grading (the ``dlcourse-grader`` kernel spec).

Outside the sandbox it starts the sandbox and keeps it (see ``sandbox.launch``); inside,
or when sandboxing is switched off, it caps the kernel's memory and starts a normal
ipykernel. A submission that allocates too much gets a MemoryError in its own cell
(scored 0) instead of taking the grading machine down.
"""

import os
import resource
import sys

MEMORY_ENV = "DLCOURSE_GRADER_MEMORY_MB"
DEFAULT_MEMORY_MB = 6144


def _connection_file(argv: list[str]) -> str:
    return argv[argv.index("-f") + 1]


def main() -> None:
    from dlcourse.grading import sandbox
    from dlcourse.grading.config import GRADER_ENV, answer_key_path

    # The kernel sets its own grading environment, so that any Jupyter server (formgrader
    # too) can start it, not only the dlcourse commands.
    os.environ.update(GRADER_ENV)
    argv = sys.argv[1:]
    inside = sandbox.INSIDE_FLAG in argv
    if inside:
        sys.argv.remove(sandbox.INSIDE_FLAG)
    elif sandbox.mode() == "bwrap":
        sys.exit(sandbox.launch(_connection_file(argv)))
    if not inside and answer_key_path() is not None:  # unsandboxed: hidden tests import it
        sys.path.insert(0, str(answer_key_path()))
    limit = int(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_MB)) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main()
