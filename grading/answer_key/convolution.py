"""Answer key for lab 12 (convolution and pooling by hand), with the notebook's interface.

Images are batches in Keras' channels-last layout, ``(N, H, W, C)``; kernels are
``(kh, kw, C, F)`` as in ``keras.layers.Conv2D``; sizes, kernel sizes and strides are pairs
``(h, w)``. ``"same"`` padding follows Keras (and TensorFlow): the output has
``ceil(n / s)`` positions, and when the total padding is odd the extra row or column goes
at the bottom or right. Max pooling ignores the padding, average pooling divides by the
number of real (unpadded) values. Everything is computed in float64.
"""

from __future__ import annotations

import numpy as np

PADDINGS = ("valid", "same")


def same_padding(size, kernel, stride=1):
    """Keras' ``same`` padding along one dimension: ``(before, after)`` zeros."""
    out = -(-int(size) // int(stride))
    total = max((out - 1) * int(stride) + int(kernel) - int(size), 0)
    return total // 2, total - total // 2


def output_size(input_hw, kernel_hw, strides=(1, 1), padding="valid"):
    """``(out_h, out_w)``: floor((n - k + 2P) / s) + 1 per dimension; ``padding`` is
    ``"valid"`` (P = 0), ``"same"`` (ceil(n / s)) or an integer P on every side."""
    out = []
    for n, k, s in zip(input_hw, kernel_hw, strides, strict=True):
        if isinstance(padding, str):
            if padding not in PADDINGS:
                raise ValueError(f"padding must be 'valid', 'same' or an integer, got {padding!r}")
            if padding == "same":
                out.append(-(-int(n) // int(s)))
                continue
            p = 0
        else:
            p = int(padding)
        out.append((int(n) - int(k) + 2 * p) // int(s) + 1)
    return tuple(out)


def cross_correlate2d(image, kernel):
    """Valid cross-correlation, stride 1, of a 2-D image with a 2-D kernel."""
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    oh, ow = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def true_convolution2d(image, kernel):
    """Convolution in the signal-processing sense: the kernel flipped in both directions."""
    return cross_correlate2d(image, np.flip(np.asarray(kernel, dtype=float)))


def _pad(x, window_hw, strides, padding, value=0.0):
    """Pad the H and W axes of an (N, H, W, C) batch for ``padding``; returns the padded
    batch and a float mask of the real entries (1) and the padding (0)."""
    if padding not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    x = np.asarray(x, dtype=float)
    mask = np.ones(x.shape[:3] + (1,))
    if padding == "valid":
        return x, mask
    pads = [same_padding(n, k, s) for n, k, s in zip(x.shape[1:3], window_hw, strides,
                                                        strict=True)]
    width = ((0, 0), pads[0], pads[1], (0, 0))
    return (np.pad(x, width, constant_values=value),
            np.pad(mask, width, constant_values=0.0))


def _windows(x, window_hw, strides):
    """All windows of an (N, H, W, C) batch: (N, out_h, out_w, kh, kw, C)."""
    kh, kw = window_hw
    sh, sw = strides
    oh = (x.shape[1] - kh) // sh + 1
    ow = (x.shape[2] - kw) // sw + 1
    out = np.empty((x.shape[0], oh, ow, kh, kw, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
    return out


def conv2d(x, kernels, bias, strides=(1, 1), padding="valid"):
    """What ``keras.layers.Conv2D`` computes (no activation): ``x`` (N, H, W, C), ``kernels``
    (kh, kw, C, F), ``bias`` (F,); returns (N, out_h, out_w, F)."""
    kernels = np.asarray(kernels, dtype=float)
    bias = np.asarray(bias, dtype=float)
    kh, kw = kernels.shape[:2]
    padded, _ = _pad(x, (kh, kw), strides, padding)
    windows = _windows(padded, (kh, kw), strides)
    return np.tensordot(windows, kernels, axes=([3, 4, 5], [0, 1, 2])) + bias


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """``keras.layers.MaxPooling2D``: strides default to the pool size; ``same`` padding is
    never the maximum."""
    strides = tuple(pool_size) if strides is None else tuple(strides)
    padded, _ = _pad(x, pool_size, strides, padding, value=-np.inf)
    return _windows(padded, pool_size, strides).max(axis=(3, 4))


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """``keras.layers.AveragePooling2D``: the mean of the real values in each window (the
    padding is not counted)."""
    strides = tuple(pool_size) if strides is None else tuple(strides)
    padded, mask = _pad(x, pool_size, strides, padding)
    total = _windows(padded, pool_size, strides).sum(axis=(3, 4))
    count = _windows(mask, pool_size, strides).sum(axis=(3, 4))
    return total / count


def avg_pool2d_counting_padding(x, pool_size=(2, 2), strides=None, padding="valid"):
    """The common mistake: the padded zeros counted in the mean."""
    strides = tuple(pool_size) if strides is None else tuple(strides)
    padded, _ = _pad(x, pool_size, strides, padding)
    return _windows(padded, pool_size, strides).mean(axis=(3, 4))


def conv_params(kernel_hw, in_channels, filters, use_bias=True):
    """Trainable parameters of a Conv2D layer: (kh * kw * C + 1) * F with a bias."""
    kh, kw = kernel_hw
    weights = int(kh) * int(kw) * int(in_channels) * int(filters)
    return weights + (int(filters) if use_bias else 0)


def keras_conv2d(x, kernels, bias, strides=(1, 1), padding="valid", dtype="float64"):
    """``keras.layers.Conv2D`` with the given weights copied in (for the unit tests)."""
    import keras

    kernels = np.asarray(kernels)
    layer = keras.layers.Conv2D(kernels.shape[3], kernels.shape[:2], strides=tuple(strides),
                                padding=padding, dtype=dtype)
    layer.build((None,) + tuple(np.shape(x)[1:]))
    layer.set_weights([kernels, np.asarray(bias)])
    return np.asarray(layer(np.asarray(x, dtype=dtype)))


def keras_pool(kind, x, pool_size=(2, 2), strides=None, padding="valid", dtype="float64"):
    """``keras.layers.MaxPooling2D`` (kind "max") or ``AveragePooling2D`` ("avg")."""
    import keras

    cls = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}[kind]
    layer = cls(pool_size=tuple(pool_size), strides=None if strides is None else tuple(strides),
                padding=padding, dtype=dtype)
    return np.asarray(layer(np.asarray(x, dtype=dtype)))
