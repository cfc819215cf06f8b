"""dlcourse: helper library for a self-grading deep-learning course.

Importing the package is light: TensorFlow loads only in the modules and calls that need it.
"""

from dlcourse.runtime import record_metric, select_profile, setup

__version__ = "0.1.0"
REPOSITORY = "https://github.com/dlcourse/dlcourse"


def ready_to_submit(path: str | None = None) -> bool:
    """Check this lab before submitting it (see ``dlcourse.preflight``)."""
    from dlcourse.preflight import ready_to_submit as check

    return check(path)


__all__ = ["__version__", "REPOSITORY", "ready_to_submit", "record_metric", "select_profile",
           "setup"]
