"""Student-facing checks: each raises AssertionError saying what was expected, what was
got and where to look, or prints one line when the answer passes."""
