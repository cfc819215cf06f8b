"""Answer key for lab 21 (model serving): grader-only reference implementations and the
helpers hidden tests use to build cases."""

from __future__ import annotations

import math

import numpy as np

from dlcourse import serving

# -- Task 1: validate_instances ----------------------------------------------------------------


def validate_instances(payload, input_shape, max_batch: int) -> np.ndarray:
    """The instances of a request as a float32 array (n, *input_shape), or BadRequest."""
    input_shape = tuple(int(d) for d in input_shape)
    if not isinstance(payload, dict) or not isinstance(payload.get("instances"), list):
        raise serving.BadRequest(422, 'the body must be a JSON object {"instances": [...]}')
    instances = payload["instances"]
    if len(instances) == 0:
        raise serving.BadRequest(422, "empty batch: send at least one instance")
    if len(instances) > max_batch:
        raise serving.BadRequest(413, f"{len(instances)} instances; at most {max_batch} "
                                 "per request")
    try:
        x = np.asarray(instances)
    except (ValueError, TypeError) as exc:
        raise serving.BadRequest(422, "the instances are ragged: every instance must have "
                                 f"shape {input_shape}") from exc
    if x.dtype.kind not in "iuf":
        raise serving.BadRequest(422, "every value must be a number (not a string, a "
                                 "boolean, null or an object)")
    if x.shape[1:] != input_shape:
        raise serving.BadRequest(422, f"each instance must have shape {input_shape}, got "
                                 f"{x.shape[1:]}")
    with np.errstate(over="ignore", invalid="ignore"):
        x = x.astype(np.float32)  # 1e39 does not fit a float32: inf
    if not np.isfinite(x).all():
        raise serving.BadRequest(422, "NaN or infinite values (as float32)")
    return x


def status_of(payload, input_shape, max_batch: int) -> int:
    """200 when validate_instances accepts the payload, else the status it raises."""
    try:
        validate_instances(payload, input_shape, max_batch)
    except serving.BadRequest as exc:
        return exc.status_code
    return 200


# -- Task 2: build_app -------------------------------------------------------------------------


def build_app(predict_fn, input_shape, max_batch: int):
    app = serving.create_app("predictions", input_shape=list(input_shape), max_batch=max_batch)

    @app.post("/predict")
    def predict(request: serving.PredictRequest) -> serving.PredictResponse:
        x = validate_instances({"instances": request.instances}, input_shape, max_batch)
        probabilities = np.asarray(predict_fn(x), dtype=float)
        return serving.PredictResponse(predictions=probabilities.argmax(axis=1).tolist(),
                                       probabilities=probabilities.tolist())

    return app


class Recorder:
    """A stand-in model: softmax of a fixed linear map of the flattened instances. It records
    every batch it is called with, and raises like a real model when the shape is wrong."""

    def __init__(self, input_shape, n_classes: int = 4, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.input_shape = tuple(input_shape)
        self.weights = rng.normal(size=(int(np.prod(self.input_shape)), n_classes))
        self.calls: list[tuple[tuple, str]] = []

    def probabilities(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        z = x.reshape(len(x), -1) @ self.weights
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def __call__(self, x):
        self.calls.append((tuple(np.shape(x)), str(getattr(x, "dtype", type(x).__name__))))
        if tuple(np.shape(x)[1:]) != self.input_shape:
            raise ValueError(f"expected instances of shape {self.input_shape}, got "
                             f"{np.shape(x)[1:]}")
        return self.probabilities(x).astype(np.float32)


def broken_model(x):
    raise RuntimeError("the model's weights are gone: /srv/models/secret/weights.h5")


# -- Task 3: start_server ----------------------------------------------------------------------


def start_server(app) -> serving.BackgroundServer:
    return serving.BackgroundServer(app, host="127.0.0.1", port=0).start()


# -- Task 4: predict_remote --------------------------------------------------------------------


def predict_remote(client, images, batch_size: int) -> np.ndarray:
    images = np.asarray(images)
    labels = []
    for start in range(0, len(images), batch_size):
        response = client.post("/predict",
                               json={"instances": images[start:start + batch_size].tolist()})
        response.raise_for_status()
        labels.extend(response.json()["predictions"])
    return np.asarray(labels, dtype=np.int64)


def batch_sizes(n: int, batch_size: int) -> list[int]:
    """The sizes of the requests predict_remote sends, in order."""
    return [min(batch_size, n - start) for start in range(0, n, batch_size)]


# -- Task 5: latency_summary -------------------------------------------------------------------


def nearest_rank(values, q: float) -> float:
    """The q-th percentile by the nearest-rank method: the ceil(q/100 * n)-th smallest."""
    ordered = sorted(float(v) for v in values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds) -> dict:
    values = np.asarray(seconds, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("no latencies to summarise")
    ms = 1000.0 * values
    return {"n": int(ms.size), "mean_ms": float(ms.mean()),
            "p50_ms": nearest_rank(ms, 50), "p95_ms": nearest_rank(ms, 95),
            "max_ms": float(ms.max())}


SUMMARY_KEYS = ("n", "mean_ms", "p50_ms", "p95_ms", "max_ms")
