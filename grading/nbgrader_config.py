# nbgrader reads this file when run from this folder (grading/). The settings live in
# dlcourse.grading.config so the dlcourse commands and plain nbgrader always agree.
import os
from pathlib import Path

from dlcourse.grading.config import course_config, headless_environment

c = get_config()  # noqa: F821 (provided by nbgrader)
c.merge(course_config(Path(__file__).resolve().parents[1]))
# Quiet TensorFlow, the smoke profile and the sandboxed, memory-capped grading kernel.
os.environ.update(headless_environment())
