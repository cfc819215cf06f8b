"""Grading with nbgrader: configuration, release, autograde and the grading self-test."""
