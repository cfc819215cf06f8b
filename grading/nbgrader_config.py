# nbgrader reads this file when run from this folder (grading/). The settings themselves
# live in dlcourse.grading.config so the CLI and nbgrader always agree.
from pathlib import Path

from dlcourse.grading.config import course_config

c = get_config()  # noqa: F821 (provided by nbgrader)
c.merge(course_config(Path(__file__).resolve().parents[1]))
