"""Checks for lab 21 (model serving).

Stored requests with the answer each must get (a status code, written out as a literal),
and properties: the app is exercised through FastAPI's TestClient with a small stand-in
model that records how it was called; the server must really answer on 127.0.0.1; the
client is given a stand-in HTTP client whose answers encode which image was sent where.
Nothing here computes what a task should return.
"""

from __future__ import annotations

import contextlib
import json
import math
import warnings

import numpy as np

from dlcourse import serving
from dlcourse.checks.core import (
    blame_earlier,
    close,
    fail,
    graded_alone,
    passed,
    quiet,
    require_callable,
)


@contextlib.contextmanager
def _calm():
    """No NumPy or Python warning reaches stderr while a check runs the student's code."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _not_written(task: str) -> None:
    __tracebackhide__ = True
    fail(task, f"{task} is not written yet", hint="replace `raise NotImplementedError()` in "
         "the answer cell with your code, then run the cell")


# -- Task 1: validate_instances ----------------------------------------------------------------

_SHAPE, _MAX = (2, 3), 4
_GOOD = [[0, 1, 2], [3, 4, 5]]


def _batch(value, n=1):
    return [[[value] * 3 for _ in range(2)] for _ in range(n)]


# (what, payload, status: 200 = accepted, hint when the answer differs). input_shape (2, 3),
# max_batch 4.
_VALIDATE_CASES = (
    ("one instance of integers", {"instances": [_GOOD]}, 200,
     "integers are numbers too: accept them and return float32"),
    ("exactly max_batch = 4 instances", {"instances": [_GOOD] * 4}, 200,
     "max_batch is the largest batch allowed: refuse only len(instances) > max_batch"),
    ("5 instances with max_batch = 4", {"instances": [_GOOD] * 5}, 413,
     "more than max_batch instances -> BadRequest(413, ...)"),
    ("an empty batch", {"instances": []}, 422,
     "an empty list of instances is a client's mistake: BadRequest(422, ...)"),
    ("a body without 'instances'", {"inputs": [_GOOD]}, 422,
     "the body must be a dict holding the key 'instances'"),
    ("a body that is a list", [_GOOD], 422,
     "the body must be a dict (a JSON object), not a list"),
    ("'instances' that is a string", {"instances": "0 1 2 3 4 5"}, 422,
     "payload['instances'] must be a list"),
    ("an instance of shape (3, 2)", {"instances": [[[0, 1], [2, 3], [4, 5]]]}, 422,
     "compare the shape of each instance, x.shape[1:], with input_shape"),
    ("a flattened instance of shape (6,)", {"instances": [[0, 1, 2, 3, 4, 5]]}, 422,
     "compare the shape of each instance, x.shape[1:], with input_shape"),
    ("ragged instances (a row of 2 values)", {"instances": [_GOOD, [[0, 1, 2], [3, 4]]]}, 422,
     "np.asarray raises ValueError on ragged lists: catch it and raise BadRequest(422, ...)"),
    ("numbers written as strings ('0.5')", {"instances": _batch("0.5")}, 422,
     "np.asarray(..., dtype=np.float32) turns '0.5' into 0.5: convert without a dtype first "
     "and accept only a numeric dtype (x.dtype.kind in 'iuf')"),
    ("a null (None) value", {"instances": [[[0, 1, None], [3, 4, 5]]]}, 422,
     "None is not a number: convert without a dtype and accept only a numeric dtype"),
    ("true/false values", {"instances": _batch(True)}, 422,
     "booleans are not pixel values: accept only a numeric dtype (x.dtype.kind in 'iuf')"),
    ("a NaN", {"instances": [[[0, 1, float("nan")], [3, 4, 5]]]}, 422,
     "refuse values that are not finite: np.isfinite(x).all()"),
    ("an infinity", {"instances": [[[0, 1, 2], [3, float("-inf"), 5]]]}, 422,
     "refuse values that are not finite: np.isfinite(x).all()"),
    ("1e39, too large for a float32", {"instances": [[[0, 1, 2], [3, 4, 1e39]]]}, 422,
     "1e39 is finite as a float64 but inf as a float32: test np.isfinite after converting "
     "to float32"),
    ("5 instances of the wrong shape with max_batch = 4", {"instances": [[1, 2]] * 5}, 413,
     "check the number of instances (413) before looking inside them"),
)


def _validated(validate_instances, payload, task: str, what: str):
    """('ok', array) or ('refused', BadRequest)."""
    __tracebackhide__ = True
    try:
        with _calm():
            return "ok", validate_instances(payload, _SHAPE, _MAX)
    except NotImplementedError:
        _not_written(task)
    except serving.BadRequest as exc:
        return "refused", exc
    except Exception as exc:
        fail(task, f"validate_instances raised {type(exc).__name__}: {str(exc)[:150]} for "
             f"{what}", "serving.BadRequest(status_code, message)", type(exc).__name__,
             "any other exception becomes a 500 (a server error) although the client made "
             "the mistake: raise serving.BadRequest(status_code, message)")


def check_validate_instances(validate_instances) -> None:
    __tracebackhide__ = True
    task = "validate_instances"
    require_callable(validate_instances, task, task)
    for what, payload, status, hint in _VALIDATE_CASES:
        shown = f"{what} (input_shape=(2, 3), max_batch=4)"
        outcome, value = _validated(validate_instances, payload, task, shown)
        if status != 200:
            if outcome == "ok":
                fail(task, f"accepted {shown}", f"serving.BadRequest({status}, ...)",
                     "a return value", hint)
            if value.status_code != status:
                fail(task, f"wrong status code for {shown}", status, value.status_code, hint)
            if not value.message.strip():
                fail(task, f"the BadRequest for {shown} has no message",
                     hint="tell the client what is wrong, e.g. 'expected shape (28, 28)'")
            continue
        if outcome == "refused":
            fail(task, f"refused {shown}", "a float32 array",
                 f"BadRequest({value.status_code}, {value.message!r})", hint)
        want = np.array(payload["instances"], dtype=np.float32)
        if not isinstance(value, np.ndarray):
            fail(task, f"validate_instances should return a NumPy array for {shown}",
                 "numpy.ndarray", type(value).__name__, "return x.astype(np.float32)")
        if value.shape != want.shape:
            fail(task, f"wrong shape returned for {shown}", want.shape, value.shape,
                 "return every instance: shape (n, *input_shape)")
        if value.dtype != np.float32:
            fail(task, f"wrong dtype returned for {shown}", "float32", str(value.dtype),
                 "the exported model's signature takes float32: x.astype(np.float32)")
        if not close(value, want, atol=0.0, rtol=0.0):
            fail(task, f"wrong values returned for {shown}", want, value)
    passed(task, "refuses every bad payload with the right 4xx status and returns float32 "
                 "(n, *input_shape) otherwise")


# -- Task 2: build_app -------------------------------------------------------------------------

# A stand-in model for instances of shape (2, 3): softmax of a fixed linear map to 3 classes.
_WEIGHTS = np.array([[0.5, -1.0, 0.2], [1.5, 0.3, -0.7], [-0.4, 0.8, 1.1],
                     [0.9, -0.2, 0.4], [-1.3, 0.6, 0.1], [0.2, 1.2, -0.9]])
_TWO = [[[0.1, 0.9, 0.3], [0.0, 0.5, 0.2]], [[1.0, 0.0, 0.4], [0.7, 0.1, 0.0]]]
_SECRET = "/srv/models/private/weights.h5"


class _Model:
    """Records every batch it is called with; raises, like a real model, on a wrong shape."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def probabilities(x):
        z = np.asarray(x, dtype=float).reshape(len(x), -1) @ _WEIGHTS
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def __call__(self, x):
        self.calls.append((tuple(np.shape(x)), str(getattr(x, "dtype", type(x).__name__))))
        if tuple(np.shape(x)[1:]) != _SHAPE:
            raise ValueError(f"the model expects instances of shape (2, 3), got "
                             f"{np.shape(x)[1:]}")
        return self.probabilities(x).astype(np.float32)


def _broken_model(x):
    raise RuntimeError(f"cannot read {_SECRET}")


def _validate_right(fn, name: str) -> bool:
    validate = fn.__globals__.get(name)
    if not callable(validate):
        return True  # build_app does not use it: nothing to blame
    for _, payload, status, _ in _VALIDATE_CASES:
        try:
            with _calm():
                got = validate(payload, _SHAPE, _MAX)
            if status != 200 or not isinstance(got, np.ndarray) or got.dtype != np.float32:
                return False
        except serving.BadRequest as exc:
            if exc.status_code != status:
                return False
        except Exception:
            return False
    return True


def _app(build_app, model, task: str, max_batch: int = 3):
    __tracebackhide__ = True
    try:
        with _calm():
            app = build_app(model, _SHAPE, max_batch)
    except NotImplementedError:
        _not_written(task)
    except Exception as exc:
        fail(task, f"build_app(model, (2, 3), {max_batch}) raised {type(exc).__name__}: "
             f"{str(exc)[:200]}")
    if not (callable(app) and hasattr(app, "routes")):
        fail(task, "build_app should return the FastAPI app", "a FastAPI app",
             type(app).__name__, "app = serving.create_app(...); add the endpoint; return app")
    return app


def _post(client, task: str, what: str, **kwargs):
    __tracebackhide__ = True
    try:
        with _calm():
            return client.post("/predict", **kwargs)
    except Exception as exc:
        fail(task, f"POST /predict with {what} crashed the app: {type(exc).__name__}: "
             f"{str(exc)[:200]}", hint="the app must answer every request")


def _json(response, task: str, what: str):
    __tracebackhide__ = True
    try:
        return response.json()
    except ValueError:
        fail(task, f"the answer to {what} is not JSON", "a JSON body",
             response.text[:120], "return a dict or a pydantic model; errors come from "
             "serving.create_app's handlers")


@graded_alone
@quiet
def check_build_app(build_app) -> None:
    __tracebackhide__ = True
    task = "build_app"
    require_callable(build_app, task, task)
    blame_earlier(build_app, task, ["validate_instances"], _validate_right)
    model = _Model()
    client = serving.local_client(_app(build_app, model, task))
    with _calm():
        health = client.get("/health")
    if health.status_code != 200:
        fail(task, "GET /health does not answer", 200, health.status_code,
             "make the app with serving.create_app(...): it adds /health and the JSON error "
             "handlers")
    what = "2 valid instances of shape (2, 3)"
    response = _post(client, task, what, json={"instances": _TWO})
    if response.status_code != 200:
        fail(task, f"POST /predict with {what} failed", 200,
             f"{response.status_code} {response.text[:150]}",
             "the endpoint is @app.post(serving.PREDICT_PATH) and takes a serving.PredictRequest")
    body = _json(response, task, what)
    want = _Model.probabilities(np.array(_TWO, dtype=np.float32))
    if not isinstance(body, dict) or set(body) != {"predictions", "probabilities"}:
        fail(task, f"the answer to {what} has the wrong fields",
             "{'predictions': [...], 'probabilities': [[...], ...]}", body,
             "return serving.PredictResponse(predictions=..., probabilities=...)")
    if model.calls != [((2, 2, 3), "float32")]:
        fail(task, f"the model was not called once with the whole batch for {what}",
             [((2, 2, 3), "float32")], model.calls,
             "call predict_fn once per request, on the float32 array validate_instances "
             "returned (batching: the model sees every instance at once)")
    if body["predictions"] != want.argmax(axis=1).tolist():
        fail(task, f"wrong predictions for {what}", want.argmax(axis=1).tolist(),
             body["predictions"], "a prediction is the class with the largest probability: "
                                  "probabilities.argmax(axis=1)")
    if not close(body["probabilities"], want, atol=1e-6, rtol=1e-5):
        fail(task, f"wrong probabilities for {what}", want, body["probabilities"],
             "return the model's probabilities, one row per instance, in order")

    bad_requests = (
        ("an instance of shape (3, 2)", {"json": {"instances": [[[0, 1], [2, 3], [4, 5]]]}},
         422),
        ("4 instances with max_batch = 3", {"json": {"instances": _TWO * 2}}, 413),
        ("an empty batch", {"json": {"instances": []}}, 422),
        ("a NaN", {"content": b'{"instances": [[[0, 1, NaN], [3, 4, 5]]]}',
                   "headers": {"content-type": "application/json"}}, 422),
    )
    for what, kwargs, status in bad_requests:
        calls = len(model.calls)
        response = _post(client, task, what, **kwargs)
        if response.status_code != status:
            hint = ("validate the instances with validate_instances before calling the model, "
                    "and let its BadRequest propagate: create_app turns it into the answer")
            if response.status_code == 500:
                hint = ("a 500 says the server failed: the model raised on input it should "
                        "never have seen. " + hint)
            elif response.status_code == 200:
                hint = ("an error answered with 200 looks like success to every client: "
                        "raise serving.BadRequest, do not return an error body")
            fail(task, f"wrong status for {what}", status, response.status_code, hint)
        error = _json(response, task, what)
        if not isinstance(error, dict) or not error.get("error"):
            fail(task, f"the answer to {what} has no 'error' field", "{'error': ..., "
                 "'detail': ...}", error, "let serving.create_app's handlers answer errors")
        if len(model.calls) != calls:
            fail(task, f"the model was called for {what}",
                 hint="validate first; call the model only on valid instances")

    broken = serving.local_client(_app(build_app, _broken_model, task))
    what = "valid instances while the model itself fails (RuntimeError)"
    response = _post(broken, task, what, json={"instances": _TWO})
    if response.status_code != 500:
        fail(task, f"wrong status for {what}", 500, response.status_code,
             "a failing model is the server's fault, not the client's: do not catch every "
             "exception and turn it into a 4xx; create_app answers 500")
    if "Traceback" in response.text or _SECRET in response.text:
        fail(task, f"the 500 answer to {what} shows the server's internals", "no traceback, "
             "no exception text", response.text[:200], "let create_app's handler answer")
    passed(task, "POST /predict answers 200 with predictions, 413/422 JSON errors without "
                 "calling the model, and a 500 without a traceback when the model fails")


# -- Task 3: start_server ----------------------------------------------------------------------

@quiet
def check_start_server(start_server) -> None:
    __tracebackhide__ = True
    task = "start_server"
    require_callable(start_server, task, task)
    app = serving.create_app("check", task=task)
    servers = []
    try:
        for k in range(2):
            try:
                server = start_server(app)
            except NotImplementedError:
                _not_written(task)
            except OSError as exc:
                fail(task, f"starting server {k + 1} of 2 failed: {exc}",
                     hint="a fixed port is taken by the first server (or any other program):"
                     " ask for port=0 and the operating system picks a free one")
            except Exception as exc:
                fail(task, f"start_server(app) raised {type(exc).__name__}: {str(exc)[:200]}")
            if isinstance(server, serving.BackgroundServer):
                servers.append(server)
            else:
                fail(task, "start_server should return a serving.BackgroundServer",
                     "serving.BackgroundServer", type(server).__name__,
                     "serving.BackgroundServer(app, host=..., port=...).start() returns it")
            if not server.running:
                fail(task, "the server start_server returned is not running",
                     hint="call .start() on the BackgroundServer before returning it")
            if server.host != "127.0.0.1":
                hint = "bind to 127.0.0.1 (loopback): only programs on this machine can reach it"
                if server.host in ("0.0.0.0", "", "::"):
                    hint = ("0.0.0.0 means every network interface: anyone on the network "
                            "could call your unauthenticated model. " + hint)
                fail(task, "the server listens on the wrong address", "127.0.0.1",
                     server.host, hint)
            if server.requested_port != 0:
                fail(task, "the server asked for a fixed port", "port=0 (the operating system "
                     "picks a free port)", server.requested_port,
                     "a fixed port may be taken (another notebook, another student): port=0")
        if servers[0].port == servers[1].port:
            fail(task, "two servers got the same port", "two different ports",
                 [s.port for s in servers])
        for server in servers:
            with serving.http_client(server, timeout=5.0) as client:
                answer = client.get("/health")
            if answer.status_code != 200 or answer.json().get("task") != task:
                fail(task, f"the server at {server.url} does not serve the app it was given",
                     hint="pass app to serving.BackgroundServer")
    finally:
        for server in servers:
            server.stop()
    passed(task, "servers on 127.0.0.1 with ports the OS chose, answering, then stopped")


# -- Task 4: predict_remote --------------------------------------------------------------------

class _FakeClient:
    """Stands in for an httpx.Client: POST /predict answers one label per instance, the
    instance's sum (each test image i is filled so that its sum is i), and 413 above
    ``max_batch`` instances."""

    def __init__(self, max_batch: int = 100):
        self.max_batch = max_batch
        self.sizes: list[int] = []
        self.urls: list[str] = []

    def post(self, url, json=None, content=None, data=None, **kwargs):
        import httpx

        request = httpx.Request("POST", "http://testserver" + str(url))
        self.urls.append(str(url))
        try:
            body = json if json is not None else _loads(content if content is not None
                                                        else data)
            instances = np.asarray(body["instances"], dtype=float)
        except Exception:
            return httpx.Response(422, json=serving.error_body("invalid request body"),
                                  request=request)
        self.sizes.append(len(instances))
        if not str(url).endswith("/predict"):
            return httpx.Response(404, json=serving.error_body("Not Found"), request=request)
        if len(instances) > self.max_batch:
            return httpx.Response(413, json=serving.error_body("too many instances"),
                                  request=request)
        labels = [int(round(s)) for s in instances.reshape(len(instances), -1).sum(axis=1)]
        return httpx.Response(200, json={"predictions": labels,
                                         "probabilities": [[1.0]] * len(labels)},
                              request=request)


def _loads(content):
    return json.loads(content.decode() if isinstance(content, bytes) else content)


def _images(n: int) -> np.ndarray:
    """n images of shape (2, 2); image i holds i / 4 everywhere, so its sum is i."""
    return (np.arange(n, dtype=np.float32)[:, None, None] / 4) * np.ones((1, 2, 2), np.float32)


# (n images, batch_size, request sizes, hint)
_REMOTE_CASES = (
    (7, 3, [3, 3, 1], "the last batch is smaller: keep it (range(0, n, batch_size))"),
    (8, 4, [4, 4], "batches of batch_size consecutive images"),
    (5, 10, [5], "fewer images than batch_size: one request with all of them"),
    (3, 1, [1, 1, 1], "batch_size=1: one request per image"),
)


@quiet
def check_predict_remote(predict_remote) -> None:
    __tracebackhide__ = True
    task = "predict_remote"
    require_callable(predict_remote, task, task)
    for n, batch_size, sizes, hint in _REMOTE_CASES:
        client = _FakeClient()
        shown = f"predict_remote(client, {n} images, batch_size={batch_size})"
        try:
            with _calm():
                labels = predict_remote(client, _images(n), batch_size)
        except NotImplementedError:
            _not_written(task)
        except Exception as exc:
            fail(task, f"{shown} raised {type(exc).__name__}: {str(exc)[:200]}",
                 hint="client.post(serving.PREDICT_PATH, json={'instances': batch.tolist()})")
        if client.urls and not all(url.endswith("/predict") for url in client.urls):
            fail(task, f"{shown} posted to the wrong path", "/predict", client.urls[0])
        if client.sizes != sizes:
            fail(task, f"{shown} sent the wrong requests (instances per request)", sizes,
                 client.sizes, hint)
        if not isinstance(labels, np.ndarray) or labels.dtype.kind not in "iu":
            fail(task, f"{shown} should return a NumPy array of integer labels",
                 "an integer numpy.ndarray", f"{type(labels).__name__}"
                 + (f" of {labels.dtype}" if isinstance(labels, np.ndarray) else ""),
                 "np.asarray(all_predictions, dtype=np.int64)")
        if labels.tolist() != list(range(n)):
            fail(task, f"{shown} returned the wrong labels", list(range(n)), labels.tolist(),
                 "concatenate every response's 'predictions', in the order of the images")
    client = _FakeClient(max_batch=4)
    shown = "predict_remote(client, 6 images, batch_size=6) against a server allowing 4"
    raised = False
    try:
        with _calm():
            predict_remote(client, _images(6), 6)
    except Exception:
        raised = True
    if not raised:
        fail(task, f"{shown} returned although the server answered 413", "an exception",
             "a return value", "check every answer: response.raise_for_status()")
    passed(task, "consecutive batches of batch_size (the last one smaller), labels in order, "
                 "and an error answer raises")


# -- Task 5: latency_summary -------------------------------------------------------------------

_KEYS = ("n", "mean_ms", "p50_ms", "p95_ms", "max_ms")
# (latencies in seconds, expected summary in milliseconds, what)
_LATENCY_CASES = (
    ([0.012, 0.003, 0.025, 0.007, 0.010, 0.004, 0.031, 0.008, 0.006, 0.015,
      0.009, 0.005, 0.011, 0.014, 0.002, 0.018, 0.013, 0.040, 0.016, 0.022],
     {"n": 20, "mean_ms": 13.55, "p50_ms": 11.0, "p95_ms": 31.0, "max_ms": 40.0},
     "20 latencies, unsorted"),
    ([0.0051, 0.0049, 0.0300, 0.0050, 0.0048, 0.0052, 0.0047],
     {"n": 7, "mean_ms": 8.528571428571428, "p50_ms": 5.0, "p95_ms": 30.0, "max_ms": 30.0},
     "7 latencies with one slow request"),
    ([0.02], {"n": 1, "mean_ms": 20.0, "p50_ms": 20.0, "p95_ms": 20.0, "max_ms": 20.0},
     "a single latency"),
)


def _latency_hint(values, key: str, got: float, want: float) -> str:
    ms = [1000 * v for v in values]
    ordered = sorted(ms)
    n = len(ms)
    q = 50 if key == "p50_ms" else 95
    rank = max(1, math.ceil(q / 100 * n))
    linear = float(np.percentile(ordered, q))
    if close(got, want / 1000):
        return "report milliseconds: multiply the seconds by 1000"
    if key == "p95_ms" and close(got, max(ms)):
        return "p95 is not the maximum: it is the ceil(0.95 * n)-th smallest latency"
    if close(got, ms[rank - 1]):
        return "sort the latencies first: a percentile is read from the sorted values"
    if close(got, linear):
        return ("that is np.percentile's default (linear interpolation); use the nearest-rank "
                "method: the ceil(q/100 * n)-th smallest value, or np.percentile(..., "
                "method='inverted_cdf')")
    return f"the nearest rank is ceil({q}/100 * n) = {rank}: the {rank}-th smallest of the n"


def check_latency_summary(latency_summary) -> None:
    __tracebackhide__ = True
    task = "latency_summary"
    require_callable(latency_summary, task, task)
    for k, (seconds, want, what) in enumerate(_LATENCY_CASES):
        given = list(seconds) if k % 2 == 0 else np.array(seconds)
        try:
            with _calm():
                got = latency_summary(given)
        except NotImplementedError:
            _not_written(task)
        except Exception as exc:
            fail(task, f"latency_summary raised {type(exc).__name__}: {exc} for {what}")
        if not isinstance(got, dict) or set(got) != set(_KEYS):
            fail(task, f"latency_summary should return a dict with the keys {list(_KEYS)}",
                 list(_KEYS), sorted(got) if isinstance(got, dict) else type(got).__name__)
        if not isinstance(got["n"], int | np.integer) or int(got["n"]) != want["n"]:
            fail(task, f"wrong 'n' for {what}", want["n"], got["n"],
                 "the number of latencies, an int")
        for key in _KEYS[1:]:
            value = got[key]
            if not isinstance(value, float | int | np.floating | np.integer):
                fail(task, f"'{key}' should be a number", "a float", type(value).__name__)
            if not close(float(value), want[key], atol=1e-9, rtol=1e-9):
                fail(task, f"wrong '{key}' for {what}", want[key], float(value),
                     _latency_hint(seconds, key, float(value), want[key]))
    try:
        with _calm():
            latency_summary([])
    except ValueError:
        pass
    except Exception as exc:
        fail(task, "latency_summary([]) should raise ValueError", "ValueError",
             type(exc).__name__)
    else:
        fail(task, "latency_summary([]) should raise ValueError", "ValueError",
             "a return value", "there is no percentile of nothing: raise ValueError")
    passed(task, "mean, nearest-rank p50 and p95, and max, in milliseconds")
