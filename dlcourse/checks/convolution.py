"""Checks for lab 12 (convolution and pooling by hand, in NumPy).

Layouts follow Keras: a batch of images is (N, H, W, C) (channels last), a stack of
kernels (kh, kw, C, F), sizes, kernel sizes and strides are pairs (h, w). Every expected
value below is a stored literal, computed once with the course's answer key (which the
unit tests check against ``keras.layers.Conv2D``, ``MaxPooling2D`` and
``AveragePooling2D``); the inputs of the stored cases are small integer arrays drawn by
:func:`_ints` from fixed seeds. Besides the stored cases, the checks use properties (the
average of a constant is that constant, padding is never a maximum) and agreement with the
Keras layers on a few random inputs. TensorFlow is imported inside the checks only.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from dlcourse.checks.core import (
    blame_earlier,
    call,
    call_blaming,
    close,
    expect_close,
    fail,
    graded_alone,
    passed,
)

# --- task 1: same_padding and output_size -------------------------------------------------

# same_padding(size, kernel, stride) -> (before, after), Keras' rule
SAME_PADDING_CASES = [
    ((6, 3, 1), (1, 1)),
    ((5, 4, 1), (1, 2)),
    ((7, 2, 2), (0, 1)),
    ((9, 5, 3), (1, 1)),
    ((8, 5, 3), (1, 2)),
    ((10, 6, 4), (2, 2)),
    ((4, 1, 2), (0, 0)),   # (out - 1) * s + k - n = -1: no padding, never negative
    ((150, 5, 1), (2, 2)),
]

# output_size(input_hw, kernel_hw, strides, padding) -> (out_h, out_w)
OUTPUT_SIZE_CASES = [
    (((6, 6), (3, 3), (1, 1), "valid"), (4, 4)),        # the 6x6 image, 3x3 kernel
    (((32, 32), (5, 5), (1, 1), 2), (32, 32)),          # P = (K - 1) / 2 = 2 keeps 32x32
    (((28, 20), (5, 3), (2, 3), "valid"), (12, 6)),
    (((7, 10), (3, 4), (2, 3), 1), (4, 3)),
    (((28, 20), (4, 3), (2, 3), "same"), (14, 7)),
    (((9, 8), (4, 2), (1, 1), "same"), (9, 8)),
    (((150, 100), (5, 5), (1, 1), "same"), (150, 100)),
    (((11, 13), (2, 6), (3, 4), 0), (4, 2)),
]

# --- task 2: cross_correlate2d ------------------------------------------------------------

SEED_IMAGE = [[81, 2, 209, 44, 71, 58], [24, 56, 108, 98, 12, 112],
              [91, 0, 189, 65, 79, 232], [12, 0, 0, 5, 1, 71],
              [2, 32, 23, 58, 8, 208], [4, 23, 2, 1, 3, 9]]
SEED_KERNEL = [[0, 1, 1], [1, 0, 0], [1, 0, 1]]
SEED_MAP = [[515, 374, 491, 524], [267, 211, 300, 265], [226, 344, 175, 582],
            [8, 61, 34, 140]]
SEED_MAP_FLIPPED = [[489, 333, 546, 358], [333, 219, 204, 448], [314, 125, 350, 434],
                    [62, 88, 12, 288]]          # the kernel flipped: a true convolution
RECT_IMAGE = [[1, -2, 4, 4, -4], [-3, -3, -3, 1, -1], [0, -2, 4, 2, 1], [-3, -3, 4, -2, 3]]
RECT_KERNEL = [[1, 0, -1], [2, 1, 0]]
RECT_MAP = [[-12, -15, 3], [-2, -4, 8], [-13, -6, 9]]
RECT_MAP_FLIPPED = [[6, 16, -2], [-5, 3, -4], [13, 9, 3]]

# --- task 3: conv2d -----------------------------------------------------------------------

# x = _ints(seed, x_shape, -3, 3), kernels = _ints(seed + 100, kernel_shape, -2, 2)
CONV_CASES = {
    "A": dict(seed=1, x_shape=(1, 4, 5, 2), kernel_shape=(3, 2, 2, 3), bias=[-0.5, 1.0, 0.25],
              strides=(1, 1), padding="valid",
              expected=[[[[-7.5, 8.0, 6.25], [-9.5, -4.0, 6.25], [-4.5, -8.0, 3.25],
                          [-16.5, 10.0, -10.75]],
                         [[12.5, 7.0, 15.25], [4.5, -6.0, -11.75], [17.5, 2.0, 0.25],
                          [-2.5, 4.0, -12.75]]]]),
    "B": dict(seed=2, x_shape=(2, 5, 4, 3), kernel_shape=(2, 2, 3, 2), bias=[1.5, -1.0],
              strides=(2, 1), padding="same",
              expected=[[[[11.5, 6.0], [7.5, -7.0], [6.5, -2.0], [-6.5, -3.0]],
                         [[-5.5, -4.0], [2.5, -10.0], [-21.5, 2.0], [5.5, 5.0]],
                         [[-0.5, -6.0], [0.5, -6.0], [0.5, 4.0], [4.5, -1.0]]],
                        [[[-1.5, -8.0], [3.5, 7.0], [-5.5, -8.0], [0.5, 3.0]],
                         [[10.5, 0.0], [5.5, -4.0], [-3.5, -7.0], [0.5, 5.0]],
                         [[-5.5, 0.0], [1.5, 0.0], [0.5, 9.0], [3.5, -3.0]]]],
              # padding (0, 1) rows and (0, 1) columns; this is the answer with (1, 0), (1, 0)
              extra_top_left=[[[[1.5, 4.0], [-3.5, -2.0], [8.5, 8.0], [-11.5, -10.0]],
                               [[1.5, -9.0], [-9.5, 2.0], [8.5, 1.0], [-0.5, -9.0]],
                               [[-2.5, -5.0], [3.5, 9.0], [-6.5, 3.0], [2.5, 7.0]]],
                              [[[-0.5, 0.0], [-11.5, 1.0], [-4.5, 2.0], [4.5, 1.0]],
                               [[4.5, -3.0], [14.5, -1.0], [-4.5, 6.0], [4.5, 14.0]],
                               [[11.5, -1.0], [-5.5, 0.0], [1.5, 11.0], [17.5, -8.0]]]]),
    "C": dict(seed=3, x_shape=(1, 3, 7, 2), kernel_shape=(3, 2, 2, 2), bias=[0.5, -0.25],
              strides=(1, 2), padding="same",
              expected=[[[[-0.5, 9.75], [-16.5, -14.25], [10.5, 3.75], [3.5, 2.75]],
                         [[2.5, 2.75], [2.5, -2.25], [4.5, 14.75], [-3.5, 1.75]],
                         [[-0.5, -1.25], [10.5, 13.75], [-7.5, -5.25], [1.5, 9.75]]]],
              # padding (1, 1) rows and (0, 1) columns; this is the answer with (1, 1), (1, 0)
              extra_top_left=[[[[0.5, -7.25], [17.5, 1.75], [-2.5, 3.75], [-4.5, -3.25]],
                               [[10.5, -8.25], [10.5, 9.75], [-10.5, -5.25], [-5.5, -3.25]],
                               [[2.5, 3.75], [-13.5, -9.25], [2.5, -9.25], [-3.5, 2.75]]]]),
}

# --- tasks 4 and 5: max_pool2d and avg_pool2d ---------------------------------------------

# x = _ints(seed, x_shape, low, high); strides None means "not passed" (the default)
POOL_CASES = {
    "P1": dict(seed=11, x_shape=(1, 4, 6, 2), low=-5, high=9, pool_size=(2, 2), strides=None,
               padding="valid",
               max=[[[[6.0, 2.0], [9.0, 9.0], [8.0, 8.0]], [[9.0, 7.0], [9.0, 9.0], [7.0, 5.0]]]],
               avg=[[[[2.25, -2.5], [5.75, 3.0], [2.0, 1.75]],
                     [[6.5, 3.25], [3.25, 2.5], [1.25, 3.0]]]]),
    "P2": dict(seed=12, x_shape=(1, 5, 7, 1), low=-9, high=-1, pool_size=(2, 3), strides=None,
               padding="same",
               max=[[[[-4.0], [-1.0], [-1.0]], [[-4.0], [-1.0], [-2.0]],
                     [[-6.0], [-2.0], [-3.0]]]],
               avg=[[[[-5.75], [-4.833333], [-5.0]], [[-6.5], [-5.833333], [-3.5]],
                     [[-6.0], [-4.666667], [-4.0]]]],
               # the padded zeros counted in the mean
               avg_counting=[[[[-3.833333], [-4.833333], [-3.333333]],
                              [[-4.333333], [-5.833333], [-2.333333]],
                              [[-2.0], [-2.333333], [-1.333333]]]]),
    "P3": dict(seed=13, x_shape=(2, 5, 6, 1), low=-5, high=9, pool_size=(3, 3), strides=(2, 2),
               padding="valid",
               max=[[[[9.0], [7.0]], [[9.0], [7.0]]], [[[8.0], [9.0]], [[9.0], [9.0]]]],
               avg=[[[[4.444444], [1.888889]], [[3.777778], [2.333333]]],
                    [[[4.0], [3.222222]], [[3.111111], [3.888889]]]]),
    "P4": dict(seed=14, x_shape=(1, 6, 5, 2), low=-9, high=-1, pool_size=(3, 2), strides=(1, 2),
               padding="same",
               max=[[[[-4.0, -2.0], [-3.0, -2.0], [-2.0, -4.0]],
                     [[-1.0, -2.0], [-3.0, -2.0], [-2.0, -4.0]],
                     [[-1.0, -3.0], [-2.0, -1.0], [-2.0, -4.0]],
                     [[-1.0, -1.0], [-1.0, -1.0], [-2.0, -3.0]],
                     [[-1.0, -1.0], [-1.0, -1.0], [-2.0, -3.0]],
                     [[-1.0, -1.0], [-1.0, -2.0], [-6.0, -3.0]]]],
               avg=[[[[-7.25, -4.0], [-6.75, -3.25], [-4.0, -4.0]],
                     [[-5.333333, -4.666667], [-6.5, -3.333333], [-3.333333, -4.666667]],
                     [[-5.0, -5.333333], [-4.666667, -3.333333], [-2.0, -5.666667]],
                     [[-4.0, -5.0], [-4.166667, -3.833333], [-3.333333, -5.333333]],
                     [[-5.166667, -5.833333], [-4.833333, -4.333333], [-5.666667, -6.333333]],
                     [[-5.25, -5.75], [-6.25, -5.25], [-7.5, -6.0]]]],
               avg_counting=[[[[-4.833333, -2.666667], [-4.5, -2.166667], [-1.333333, -1.333333]],
                              [[-5.333333, -4.666667], [-6.5, -3.333333], [-1.666667, -2.333333]],
                              [[-5.0, -5.333333], [-4.666667, -3.333333], [-1.0, -2.833333]],
                              [[-4.0, -5.0], [-4.166667, -3.833333], [-1.666667, -2.666667]],
                              [[-5.166667, -5.833333], [-4.833333, -4.333333],
                               [-2.833333, -3.166667]],
                              [[-3.5, -3.833333], [-4.166667, -3.5], [-2.5, -2.0]]]]),
}

# --- task 6: conv_params ------------------------------------------------------------------

# (kernel_hw, in_channels, filters, use_bias) -> trainable parameters
CONV_PARAMS_CASES = [
    (((5, 5), 3, 200, True), 15_200),     # (5*5*3 + 1) * 200
    (((5, 5), 3, 200, False), 15_000),
    (((3, 2), 4, 7, True), 175),
    (((1, 1), 16, 8, False), 128),
    (((7, 1), 1, 12, True), 96),
    (((3, 3), 32, 64, True), 18_496),
]


def _ints(seed: int, shape, low: int, high: int) -> np.ndarray:
    """The stored cases' inputs: integers in [low, high] as floats, from a fixed seed."""
    return np.random.default_rng(seed).integers(low, high + 1, size=shape).astype(float)


def _conv_case(name: str):
    case = CONV_CASES[name]
    x = _ints(case["seed"], case["x_shape"], -3, 3)
    kernels = _ints(case["seed"] + 100, case["kernel_shape"], -2, 2)
    return x, kernels, np.array(case["bias"], dtype=float), case


def _pool_input(name: str) -> np.ndarray:
    case = POOL_CASES[name]
    return _ints(case["seed"], case["x_shape"], case["low"], case["high"])


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _pair_of_ints(got):
    """``got`` as a tuple of two plain ints, or None when it is not a pair of integers."""
    if not isinstance(got, tuple | list) or len(got) != 2 or not all(_is_int(v) for v in got):
        return None
    return int(got[0]), int(got[1])


# --- probing earlier tasks ----------------------------------------------------------------

def _earlier_ok(fn, name: str) -> bool:
    """Whether the student's earlier function ``name`` (seen from ``fn``) is right on the
    stored cases; True when it cannot be found (nothing to blame)."""
    other = getattr(fn, "__globals__", {}).get(name)
    if not callable(other):
        return True
    try:
        if name == "same_padding":
            return all(_pair_of_ints(other(*args)) == exp for args, exp in SAME_PADDING_CASES)
        if name == "output_size":
            return all(_pair_of_ints(other(*args)) == exp for args, exp in OUTPUT_SIZE_CASES)
        if name == "cross_correlate2d":
            return close(other(np.array(SEED_IMAGE, dtype=float),
                               np.array(SEED_KERNEL, dtype=float)), SEED_MAP)
    except Exception:
        return False
    return True


def _blame(fn, task: str, *earlier: str) -> None:
    __tracebackhide__ = True
    blame_earlier(fn, task, earlier, _earlier_ok)


def _call(fn, *args, task: str, name: str, earlier=(), **kwargs):
    __tracebackhide__ = True
    return call_blaming(fn, *args, task=task, name=name, earlier=earlier, is_right=_earlier_ok,
                        **kwargs)


# --- task 1 -------------------------------------------------------------------------------

def check_output_size(output_size, same_padding) -> None:
    __tracebackhide__ = True
    task = "same_padding"
    for (size, kernel, stride), expected in SAME_PADDING_CASES:
        got = call(same_padding, size, kernel, stride, task=task, name="same_padding")
        what = f"same_padding({size}, {kernel}, {stride})"
        pair = _pair_of_ints(got)
        if pair is None:
            fail(task, f"{what} should return a pair of integers (before, after)", expected,
                 got, "return total // 2, total - total // 2: integer division, no floats")
        if pair == expected:
            continue
        before, after = expected
        hint = ("the output has ceil(size / stride) positions; total = max((out - 1) * stride "
                "+ kernel - size, 0); before = total // 2, after = total - before")
        if pair == (after, before):
            hint = ("the extra zero goes at the END when the total is odd (Keras pads the "
                    "bottom and right): before = total // 2, after = total - before")
        elif before != after and pair[0] == pair[1]:
            hint = ("an odd total cannot be split evenly: do not pad (k - 1) // 2 on both "
                    "sides; before = total // 2 and after = total - before")
        elif min(pair) < 0:
            hint = "padding is never negative: total = max((out - 1) * stride + kernel - size, 0)"
        fail(task, f"{what} is wrong", expected, got, hint)
    task = "output_size"
    for (hw, khw, strides, padding), expected in OUTPUT_SIZE_CASES:
        what = f"output_size({hw}, {khw}, {strides}, {padding!r})"
        got = call(output_size, hw, khw, strides, padding, task=task, name="output_size")
        if isinstance(got, tuple | list) and len(got) == 2 and not all(_is_int(v) for v in got):
            fail(task, f"{what} should be a pair of integers", expected, got,
                 "a layer has a whole number of positions: floor((n - k + 2P) / s) + 1, in "
                 "Python (n - k + 2 * P) // s + 1")
        pair = _pair_of_ints(got)
        if pair is None:
            fail(task, f"{what} should return a tuple (out_h, out_w) of two integers",
                 expected, got)
        if pair == expected:
            continue
        hint = ("per dimension: floor((n - k + 2P) / s) + 1 with P = 0 for 'valid' and the "
                "integer P when one is given; 'same' gives ceil(n / s)")
        if pair == expected[::-1]:
            hint = "height first: the result is (out_h, out_w), from input_hw[0] and kernel_hw[0]"
        elif padding == "same":
            hint = ("'same' means ceil(n / s) positions whatever the kernel, even or odd: "
                    "in Python -(-n // s); P = (k - 1) // 2 only works for odd kernels and "
                    "stride 1")
        elif all(g == e - 1 for g, e in zip(pair, expected, strict=True)):
            hint = ("one short: the first window sits at position 0, so there is one more "
                    "position than (n - k + 2P) // s; add 1")
        fail(task, f"{what} is wrong", expected, got, hint)
    passed("output_size", "floor((n - k + 2P) / s) + 1 per dimension, and Keras' 'same' "
           "padding with the odd zero at the bottom/right")


# --- task 2 -------------------------------------------------------------------------------

def check_cross_correlate2d(cross_correlate2d) -> None:
    __tracebackhide__ = True
    task = "cross_correlate2d"
    for image, kernel, expected, flipped, what in (
            (SEED_IMAGE, SEED_KERNEL, SEED_MAP, SEED_MAP_FLIPPED, "the 6x6 image and 3x3 kernel"),
            (RECT_IMAGE, RECT_KERNEL, RECT_MAP, RECT_MAP_FLIPPED,
             "a 4x5 image with the 2x3 kernel [[1, 0, -1], [2, 1, 0]]")):
        image_in, kernel_in = np.array(image, dtype=float), np.array(kernel, dtype=float)
        got = call(cross_correlate2d, image_in, kernel_in, task=task, name="cross_correlate2d")
        if not (np.array_equal(image_in, image) and np.array_equal(kernel_in, kernel)):
            fail(task, "cross_correlate2d changed the image or the kernel it was given",
                 hint="only read the inputs; build a new output array")
        arr = np.asarray(got, dtype=float) if got is not None else None
        exp = np.array(expected, dtype=float)
        if arr is not None and arr.shape == exp.shape and close(arr, flipped):
            fail(task, f"cross_correlate2d of {what} flips the kernel", exp, arr,
                 "that is a true convolution (scipy.signal.convolve2d): CNN layers compute "
                 "cross-correlation, the kernel laid on the image as it is, no flipping")
        if arr is not None and arr.shape == exp.T.shape and (
                arr.shape != exp.shape or (close(arr, exp.T) and not close(arr, exp))):
            fail(task, f"the feature map of {what} is transposed", f"shape {exp.shape}",
                 f"shape {arr.shape}", "rows of the output follow rows of the image: "
                 "out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel)")
        expect_close(got, exp, task, f"the feature map of {what}",
                     "out[i, j] = sum(image[i:i+kh, j:j+kw] * kernel): multiply element by "
                     "element and add (not a matrix product), for every i, j where the kernel "
                     "fits", atol=1e-9)
    passed(task, "515 at the top left, 374 next to it, and the kernel is not flipped")


# --- task 3 -------------------------------------------------------------------------------

def _keras_agreement(task: str, fn, name: str, make_layer, cases, hint: str, earlier=()):
    """Compare ``fn`` with a Keras layer on seeded random inputs (float32, so 1e-4)."""
    __tracebackhide__ = True
    import keras

    rng = np.random.default_rng(2024)
    for shape, args, kwargs, describe in cases:
        x = rng.normal(size=shape)
        layer, args = make_layer(keras, rng, x, args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = np.asarray(layer(x.astype("float32")), dtype=float)
        got = _call(fn, x.copy(), *args, task=task, name=name, earlier=earlier, **kwargs)
        arr = np.asarray(got, dtype=float) if got is not None else None
        if arr is None or arr.shape != ref.shape or not close(arr, ref, atol=1e-4, rtol=1e-4):
            _blame(fn, task, *earlier)
            fail(task, f"{name} does not match {type(layer).__name__} on a random batch "
                 f"{shape} ({describe})", f"shape {ref.shape}, first values "
                 f"{np.round(ref.reshape(-1)[:4], 4)}",
                 None if arr is None else f"shape {arr.shape}, first values "
                 f"{np.round(arr.reshape(-1)[:4], 4)}", hint)


@graded_alone
def check_conv2d(conv2d) -> None:
    __tracebackhide__ = True
    task = "conv2d"
    earlier = ("same_padding", "output_size", "cross_correlate2d")
    for name in CONV_CASES:
        x, kernels, bias, case = _conv_case(name)
        given = (x.copy(), kernels.copy(), bias.copy())
        what = (f"conv2d of a batch {case['x_shape']} with kernels {case['kernel_shape']}, "
                f"strides={case['strides']}, padding={case['padding']!r}")
        got = _call(conv2d, given[0], given[1], given[2], strides=case["strides"],
                    padding=case["padding"], task=task, name="conv2d", earlier=earlier)
        if not all(np.array_equal(a, b) for a, b in zip(given, (x, kernels, bias), strict=True)):
            fail(task, "conv2d changed an array it was given",
                 hint="pad a copy (np.pad returns a new array); never write into x")
        exp = np.array(case["expected"], dtype=float)
        arr = np.asarray(got, dtype=float) if got is not None else None
        if arr is None or arr.shape != exp.shape:
            c, f = case["x_shape"][3], case["kernel_shape"][3]
            hint = ("the output is (N, out_h, out_w, F): one feature map per FILTER, each "
                    "summing over all input channels")
            if arr is not None and arr.ndim == 4 and arr.shape[3] in (c * f, c) and c > 1:
                hint = (f"{arr.shape[3]} maps from {c} channels and {f} filters: every filter "
                        "spans all the channels and sums over them, giving ONE map; C channels "
                        f"with F filters make F maps, here {f}")
            elif arr is not None and arr.ndim == 4 and arr.shape[1:3] != exp.shape[1:3]:
                hint = ("the map size should be output_size(...) of task 1: check the strides "
                        "(rows step by strides[0], columns by strides[1]) and the padding")
            _blame(conv2d, task, *earlier)
            fail(task, f"{what} has the wrong shape", f"shape {exp.shape}",
                 None if arr is None else f"shape {arr.shape}", hint)
        if close(arr, exp, atol=1e-9):
            continue
        _blame(conv2d, task, *earlier)
        hint = ("out[n, i, j, f] = sum over (di, dj, c) of padded[n, i*sh + di, j*sw + dj, c] "
                "* kernels[di, dj, c, f] + bias[f]")
        if close(arr, exp - bias, atol=1e-9):
            hint = "the bias is missing: add bias[f] to every value of feature map f"
        elif "extra_top_left" in case and close(arr, case["extra_top_left"], atol=1e-9):
            hint = ("with an odd total padding Keras puts the extra zero at the bottom/right: "
                    "use same_padding's (before, after) for each dimension, in that order")
        else:
            try:
                flipped = conv2d(x.copy(), np.flip(kernels, axis=(0, 1)).copy(), bias.copy(),
                                 strides=case["strides"], padding=case["padding"])
                if close(flipped, exp, atol=1e-9):
                    hint = ("the kernel is flipped (a true convolution): lay each kernel on "
                            "the image as it is")
            except Exception:
                pass
        fail(task, f"{what} has the wrong values", exp, arr, hint)

    def make_conv(keras, rng, x, args):
        kernel_hw, filters, strides, padding = args
        kernels = rng.normal(size=(*kernel_hw, x.shape[3], filters))
        bias = rng.normal(size=filters)
        layer = keras.layers.Conv2D(filters, kernel_hw, strides=strides, padding=padding)
        layer.build((None,) + x.shape[1:])
        layer.set_weights([kernels.astype("float32"), bias.astype("float32")])
        return layer, (kernels, bias, strides, padding)

    _keras_agreement(task, conv2d, "conv2d", make_conv, [
        ((2, 9, 7, 3), ((3, 2), 4, (2, 3), "same"), {}, "3x2 kernels, 4 filters, strides "
         "(2, 3), 'same'"),
        ((1, 8, 11, 2), ((4, 5), 3, (3, 2), "valid"), {}, "4x5 kernels, 3 filters, strides "
         "(3, 2), 'valid'"),
    ], "copy the weights into keras.layers.Conv2D and compare: the same layout (kh, kw, C, F)",
        earlier)
    passed(task, "matches keras.layers.Conv2D: C channels and F filters give F maps, "
           "strides and 'same' padding as Keras")


# --- tasks 4 and 5 ------------------------------------------------------------------------

def _pool_calls(fn, name: str, task: str, kind: str):
    """Run the stored pooling cases; returns nothing, fails with the most likely mistake."""
    __tracebackhide__ = True
    earlier = ("same_padding", "output_size")
    runs = [("P1", True)] + [(case_name, False) for case_name in POOL_CASES]
    for case_name, defaults in runs:
        case = POOL_CASES[case_name]
        x = _pool_input(case_name)
        given = x.copy()
        if defaults:
            what = (f"{name}(x) of shape {case['x_shape']} with every default (pool_size=(2, 2), "
                    "strides=None, padding='valid')")
            got = _call(fn, given, task=task, name=name, earlier=earlier)
        else:
            kwargs = {"padding": case["padding"]}
            if case["strides"] is not None:
                kwargs["strides"] = case["strides"]
            shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            what = f"{name}(x of shape {case['x_shape']}, {case['pool_size']}, {shown})"
            got = _call(fn, given, case["pool_size"], task=task, name=name, earlier=earlier,
                        **kwargs)
        if not np.array_equal(given, x):
            fail(task, f"{name} changed the array it was given",
                 hint="pad a copy (np.pad returns a new array)")
        exp = np.array(case[kind], dtype=float)
        arr = np.asarray(got, dtype=float) if got is not None else None
        if arr is None or arr.shape != exp.shape:
            hint = ("the output is (N, out_h, out_w, C): pooling works on each channel "
                    "separately and keeps C")
            if (case["strides"] is None and arr is not None and arr.ndim == 4
                    and arr.shape[1:3] != exp.shape[1:3]):
                hint = ("strides=None means the window jumps by its own size (strides = "
                        "pool_size), so windows do not overlap: a 2x2 pool halves the map")
            _blame(fn, task, *earlier)
            fail(task, f"{what} has the wrong shape", f"shape {exp.shape}",
                 None if arr is None else f"shape {arr.shape}", hint)
        if close(arr, exp, atol=1e-6):
            continue
        _blame(fn, task, *earlier)
        hint = (f"take the {'largest value' if kind == 'max' else 'mean'} of each window of "
                "each channel; windows start every strides[0] rows and strides[1] columns")
        if kind == "avg" and "avg_counting" in case and close(arr, case["avg_counting"],
                                                               atol=1e-6):
            hint = ("the padded zeros are counted in the mean: Keras averages only the real "
                    "values in each window (divide by how many real values it covers)")
        elif kind == "max" and case["padding"] == "same" and np.max(arr) == 0:
            hint = ("all these values are negative, yet a 0 came out: the padding must never "
                    "win the max (pad with -np.inf, or take the max of the real values only)")
        fail(task, f"{what} has the wrong values", exp, arr, hint)


def _pool_property(fn, name: str, task: str, kind: str):
    """Padding must not leak into the result: the max of negatives, the mean of a constant."""
    __tracebackhide__ = True
    x = np.full((1, 5, 7, 2), -2.5 if kind == "max" else 4.0)
    got = _call(fn, x.copy(), (2, 3), strides=(2, 2), padding="same", task=task, name=name,
                earlier=("same_padding", "output_size"))
    exp = np.full((1, 3, 4, 2), x[0, 0, 0, 0])
    arr = np.asarray(got, dtype=float) if got is not None else None
    if arr is None or arr.shape != exp.shape or not close(arr, exp):
        hint = ("the padding never wins the max: pad with -np.inf" if kind == "max" else
                "the mean of a window of 4.0s is 4.0, however much of it hangs over the "
                "edge: divide each window's sum by its number of real values")
        fail(task, f"{name} of a constant batch ({x[0, 0, 0, 0]} everywhere), pool (2, 3), "
             "strides (2, 2), padding 'same' should be that constant everywhere", exp, arr, hint)


@graded_alone
def check_max_pool2d(max_pool2d) -> None:
    __tracebackhide__ = True
    task = "max_pool2d"
    _pool_calls(max_pool2d, "max_pool2d", task, "max")
    _pool_property(max_pool2d, "max_pool2d", task, "max")

    def make_pool(keras, rng, x, args):
        pool, strides, padding = args
        return keras.layers.MaxPooling2D(pool, strides=strides, padding=padding), args

    _keras_agreement(task, max_pool2d, "max_pool2d", make_pool, [
        ((2, 9, 7, 3), ((3, 2), (2, 3), "same"), {}, "pool (3, 2), strides (2, 3), 'same'"),
        ((1, 8, 11, 2), ((2, 4), None, "valid"), {}, "pool (2, 4), strides None, 'valid'"),
    ], "compare with keras.layers.MaxPooling2D(pool_size, strides, padding)")
    passed(task, "matches keras.layers.MaxPooling2D, default strides = pool size, padding "
           "never the max")


@graded_alone
def check_avg_pool2d(avg_pool2d) -> None:
    __tracebackhide__ = True
    task = "avg_pool2d"
    _pool_calls(avg_pool2d, "avg_pool2d", task, "avg")
    _pool_property(avg_pool2d, "avg_pool2d", task, "avg")

    def make_pool(keras, rng, x, args):
        pool, strides, padding = args
        return keras.layers.AveragePooling2D(pool, strides=strides, padding=padding), args

    _keras_agreement(task, avg_pool2d, "avg_pool2d", make_pool, [
        ((2, 9, 7, 3), ((3, 2), (2, 3), "same"), {}, "pool (3, 2), strides (2, 3), 'same'"),
        ((1, 8, 11, 2), ((2, 4), None, "valid"), {}, "pool (2, 4), strides None, 'valid'"),
    ], "compare with keras.layers.AveragePooling2D(pool_size, strides, padding)")
    passed(task, "matches keras.layers.AveragePooling2D; the padding is not counted in the mean")


# --- task 6 -------------------------------------------------------------------------------

def check_conv_params(conv_params) -> None:
    __tracebackhide__ = True
    task = "conv_params"
    for (kernel_hw, channels, filters, use_bias), expected in CONV_PARAMS_CASES:
        what = f"conv_params({kernel_hw}, {channels}, {filters}, use_bias={use_bias})"
        got = call(conv_params, kernel_hw, channels, filters, use_bias=use_bias, task=task,
                   name="conv_params")
        if not _is_int(got):
            fail(task, f"{what} should be an integer", expected, got,
                 "a parameter count is a whole number: multiply integers, do not divide")
        if int(got) == expected:
            continue
        kh, kw = kernel_hw
        weights = kh * kw * channels * filters
        hint = ("each filter has kh * kw * C weights and one bias: "
                "(kh * kw * C + 1) * F with a bias, kh * kw * C * F without")
        if use_bias and int(got) == weights:
            hint = "the bias is missing: every filter has one bias, so add F"
        elif not use_bias and int(got) == weights + filters:
            hint = "use_bias=False: no bias, just kh * kw * C * F weights"
        elif int(got) in (weights + channels * filters, weights * channels,
                          weights * channels + filters):
            hint = ("a filter spans all C channels and makes ONE map, with one bias: 3 "
                    "channels and 5 filters give 5 maps and 5 biases, not 15")
        elif int(got) in (kh * kw * filters + filters, kh * kw * filters):
            hint = "each filter has a kh x kw kernel for EVERY input channel: multiply by C"
        fail(task, f"{what} is wrong", expected, got, hint)
    passed(task, "(5*5*3 + 1) * 200 = 15,200, and the bias switch works")
