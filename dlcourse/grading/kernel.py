"""Kernel launcher for grading: caps the kernel's memory, then starts a normal ipykernel.

A submission that allocates too much gets a MemoryError in its own cell (scored 0)
instead of taking the grading machine down.
"""

import os
import resource

MEMORY_ENV = "DLCOURSE_GRADER_MEMORY_MB"
DEFAULT_MEMORY_MB = 6144


def main() -> None:
    limit = int(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_MB)) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main()
