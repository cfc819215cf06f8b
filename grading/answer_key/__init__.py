"""The answer key: reference implementations of every graded task, and helpers for hidden
tests. Grader-only: hidden tests and the self-test import it; the package students install
(``dlcourse``) and the release never contain it."""
