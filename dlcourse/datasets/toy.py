"""Tiny hand-made tables from the course's worked examples."""

import numpy as np

# Should I go to the concert? Columns: good weather, near public transit, a friend can join.
CONCERT_FEATURES = ("weather", "public transit", "friend can join")
CONCERT_X = np.array([[1, 1, 1], [1, 0, 1], [1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 1, 0],
                      [0, 0, 1]])
CONCERT_Y = np.array([1, 1, 0, 0, 0, 0, 0])
CONCERT_THRESHOLD = 60

# Two-input logic gates over the four corners of the unit square.
GATE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND_Y = np.array([0, 0, 0, 1])
OR_Y = np.array([0, 1, 1, 1])
XOR_Y = np.array([0, 1, 1, 0])
