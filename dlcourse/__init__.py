"""dlcourse: helper library for a self-grading deep-learning course.

Importing the package is light: TensorFlow loads only in the modules and calls that need it.
"""

from dlcourse.runtime import record_metric, select_profile, setup

__version__ = "0.1.0"
REPOSITORY = "https://github.com/dlcourse/dlcourse"

__all__ = ["__version__", "REPOSITORY", "record_metric", "select_profile", "setup"]
