"""Tiny hand-made tables from the course's worked examples."""

import numpy as np

# Should I go to the concert? Columns: good weather, near public transit, a friend can join.
CONCERT_FEATURES = ("weather", "public transit", "friend can join")
CONCERT_X = np.array([[1, 1, 1], [1, 0, 1], [1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 1, 0],
                      [0, 0, 1]])
CONCERT_Y = np.array([1, 1, 0, 0, 0, 0, 0])
CONCERT_THRESHOLD = 60

# Tips of six meals, against a constant guess of $10 (SSE 76, MSE 76/6, MAE 20/6).
TIPS = np.array([12.0, 7.0, 13.0, 8.0, 15.0, 5.0])
TIPS_GUESS = 10.0

# Six points on the line Y = 2X - 1: one Dense unit learns it from these.
LINE_X = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 4.0])
LINE_Y = 2 * LINE_X - 1

# Two-input logic gates over the four corners of the unit square.
GATE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND_Y = np.array([0, 0, 0, 1])
OR_Y = np.array([0, 1, 1, 1])
XOR_Y = np.array([0, 1, 1, 0])
