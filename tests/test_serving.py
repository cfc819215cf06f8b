"""Lab 21: the service machinery of dlcourse.serving (app factory, background server with
guaranteed shutdown), the answer key, and the visible checks and hidden tests against the
key's answers and the wrong-answer fixtures."""

import gc
import json
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import numpy as np
import pytest
import tomllib
from answer_key import serving as key

from dlcourse import serving
from dlcourse.checks import serving as check
from dlcourse.checks.core import CheckFailed
from dlcourse.grading.submissions import HIDDEN_MARKERS, grade_id, is_test, read, region

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions/21-model-serving/21-model-serving.ipynb"
FIXTURES = tomllib.loads((ROOT / "grading/wrong_answers/21-model-serving.toml").read_text())


@pytest.fixture(autouse=True)
def no_server_outlives_its_test():
    """Every test leaves no running server behind (a test that forgot one fails here)."""
    yield
    leftover = serving.running_servers()
    serving.stop_all()
    assert leftover == [], f"servers still running after the test: {leftover}"


@pytest.fixture
def running():
    """A server started for a test, and proof afterwards that it was stopped."""
    server = key.start_server(serving.create_app("fixture", who="fixture"))
    yield server
    server.stop()
    assert not server.running and not server._thread.is_alive()
    assert not serving.port_is_open("127.0.0.1", server.port)


# -- dlcourse.serving: the app -----------------------------------------------------------------

def _app_with_routes():
    app = serving.create_app("t")

    @app.post("/refuse")
    def refuse(request: serving.PredictRequest):
        raise serving.BadRequest(413, "too big", detail={"max": 3})

    @app.get("/crash")
    def crash():
        raise RuntimeError("secret path /srv/x")

    return app


def test_bad_request_is_for_client_errors_only():
    assert serving.BadRequest(422, "x").status_code == 422
    with pytest.raises(ValueError):
        serving.BadRequest(500, "a server error is not a BadRequest")


@pytest.mark.parametrize("raise_server_exceptions", [False, True])
def test_create_app_answers_every_error_in_json(raise_server_exceptions):
    app = _app_with_routes()
    client = serving.local_client(app, raise_server_exceptions=raise_server_exceptions)
    assert client.get("/health").json() == {"status": "ok"}
    answer = client.post("/refuse", json={"instances": []})
    assert (answer.status_code, answer.json()) == (413, {"error": "too big",
                                                         "detail": {"max": 3}})
    for kwargs in ({"json": [1, 2]}, {"json": {"x": 1}}, {"content": b"{nope"},
                   {"json": {"instances": "abc"}}):
        answer = client.post("/refuse", **kwargs)
        assert answer.status_code == 422 and answer.json()["error"] == "invalid request body"
    assert client.get("/nowhere").status_code == 404 and "error" in client.get("/nowhere").json()
    answer = client.get("/crash")
    assert answer.status_code == 500 and answer.json()["error"] == serving.INTERNAL_ERROR
    assert "secret" not in answer.text and "Traceback" not in answer.text
    assert app.state.errors == ["GET /crash: RuntimeError: secret path /srv/x"]


# -- dlcourse.serving: the background server ---------------------------------------------------

def test_a_real_server_on_loopback_starts_answers_and_stops(running):
    assert running.running and running.host == "127.0.0.1" and running.port > 0
    assert running.url == f"http://127.0.0.1:{running.port}"
    with serving.http_client(running) as client:
        assert client.get("/health").json() == {"status": "ok", "who": "fixture"}
    assert serving.running_servers() == [running]


def test_the_end_of_a_with_block_stops_the_server_even_on_error():
    app = serving.create_app("t")
    with pytest.raises(RuntimeError, match="boom"), key.start_server(app) as server:
        port = server.port
        assert serving.port_is_open("127.0.0.1", port)
        raise RuntimeError("boom")
    assert not server.running and not serving.port_is_open("127.0.0.1", port)
    assert "stopped" in repr(server)
    server.stop()  # twice is fine
    with pytest.raises(RuntimeError, match="new BackgroundServer"):
        server.start()


def test_port_zero_gives_distinct_free_ports_and_a_taken_port_fails():
    app = serving.create_app("t")
    with key.start_server(app) as first, key.start_server(app) as second:
        assert first.port != second.port
        taken = serving.BackgroundServer(app, host="127.0.0.1", port=first.port)
        with pytest.raises(OSError):
            taken.start()
        assert not taken.running


def test_garbage_collection_stops_a_forgotten_server():
    server = key.start_server(serving.create_app("t"))
    port, thread = server.port, server._thread
    del server
    gc.collect()
    thread.join(5)
    assert not thread.is_alive() and not serving.port_is_open("127.0.0.1", port)


def test_a_server_never_outlives_the_process(tmp_path):
    """A script starts a server and ends without stopping it: the process still exits at
    once, cleanly and silently, and the port is closed."""
    script = tmp_path / "forgotten.py"
    script.write_text(textwrap.dedent("""
        from dlcourse import serving
        server = serving.BackgroundServer(serving.create_app("t"), host="127.0.0.1",
                                          port=0).start()
        print(server.port, flush=True)
    """))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert time.perf_counter() - start < 30
    assert not serving.port_is_open("127.0.0.1", int(proc.stdout.split()[0]))


def test_uvicorn_writes_nothing_to_stderr(capfd, running):
    with serving.http_client(running) as client:
        client.get("/health")
        client.post("/predict", content=b"not json")
    assert capfd.readouterr().err == ""


def test_connections_are_not_slowed_by_nagle(running):
    """The listening socket is a TCP socket with IPPROTO_TCP, so asyncio disables Nagle's
    algorithm on each connection; otherwise every answer waits ~40 ms for a delayed ACK."""
    with serving.http_client(running) as client:
        client.get("/health")
        seconds = []
        for _ in range(15):
            start = time.perf_counter()
            client.get("/health")
            seconds.append(time.perf_counter() - start)
    assert sorted(seconds)[7] < 0.035


# -- the answer key ----------------------------------------------------------------------------

def test_stored_cases_are_the_keys():
    for _, payload, status, _ in check._VALIDATE_CASES:
        assert key.status_of(payload, check._SHAPE, check._MAX) == status
    for seconds, want, _ in check._LATENCY_CASES:
        got = key.latency_summary(seconds)
        assert got.keys() == want.keys()
        assert all(got[k] == pytest.approx(want[k], rel=1e-12) for k in want)


@pytest.mark.parametrize("n", [1, 2, 7, 10, 19, 20, 21, 100, 101])
def test_nearest_rank_is_numpys_inverted_cdf(n):
    values = np.random.default_rng(n).exponential(size=n)
    for q in (50, 95):
        assert key.nearest_rank(values, q) == np.percentile(values, q, method="inverted_cdf")


def test_validated_instances_round_trip_json_exactly():
    x = np.random.default_rng(0).random((3, 4, 2)).astype(np.float32)
    payload = json.loads(json.dumps({"instances": x.tolist()}))
    assert np.array_equal(key.validate_instances(payload, (4, 2), 3), x)


def test_key_app_and_client_batch_as_specified():
    model = key.Recorder((3, 2), n_classes=4)
    client = serving.local_client(key.build_app(model, (3, 2), 4))
    images = np.random.default_rng(1).normal(size=(10, 3, 2)).astype(np.float32)
    labels = key.predict_remote(client, images, 4)
    assert [call[0][0] for call in model.calls] == key.batch_sizes(10, 4) == [4, 4, 2]
    assert np.array_equal(labels, model.probabilities(images).argmax(axis=1))


# -- the visible checks ------------------------------------------------------------------------

def _fixture_namespace():
    """A namespace like the notebook's, holding the key's answers by their bare names."""
    return {"np": np, "json": json, "serving": serving,
            "check": types.SimpleNamespace(**{n: getattr(check, n) for n in dir(check)
                                              if n.startswith("check_")}),
            "validate_instances": key.validate_instances, "build_app": key.build_app,
            "start_server": key.start_server, "predict_remote": key.predict_remote,
            "latency_summary": key.latency_summary}


def _fixture_answer(name):
    wrong = next(w for w in FIXTURES["wrong"] if w["name"] == name)
    (cell_id, source), = wrong["cells"].items()
    namespace = _fixture_namespace()
    exec(source, namespace)  # noqa: S102
    return cell_id, namespace[cell_id]


def test_key_passes_the_checks(capsys):
    check.check_validate_instances(key.validate_instances)
    check.check_build_app(key.build_app)
    check.check_start_server(key.start_server)
    check.check_predict_remote(key.predict_remote)
    check.check_latency_summary(key.latency_summary)
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 5 and out.err == ""


CHECK_MESSAGES = {
    "validate-converts-to-float32-first": "numbers written as strings",
    "validate-accepts-nan": "accepted a NaN",
    "validate-accepts-empty-and-oversized-batches": "accepted 5 instances",
    "validate-raises-valueerror": "raised (TypeError|KeyError|ValueError)",
    "app-without-validation": r"wrong status for an instance of shape \(3, 2\)",
    "app-answers-errors-with-200": "wrong status",
    "app-blames-the-client-for-model-failures": "model itself fails",
    "app-one-model-call-per-instance": "not called once with the whole batch",
    "server-on-every-interface": "wrong address",
    "server-on-a-fixed-port": "asked for a fixed port",
    "remote-drops-the-last-partial-batch": "wrong requests",
    "remote-array-split-into-batch-size-pieces": "wrong requests",
    "remote-ignores-error-answers": "returned although the server answered 413",
    "latency-p95-is-the-max": "p95 is not the maximum",
    "latency-percentiles-of-unsorted-data": "sort the latencies",
    "latency-linear-interpolation": "linear interpolation",
}


@pytest.mark.parametrize("name", sorted(CHECK_MESSAGES))
def test_checks_reject_the_fixtures(name):
    cell_id, answer = _fixture_answer(name)
    with pytest.raises(CheckFailed, match=CHECK_MESSAGES[name]):
        getattr(check, f"check_{cell_id}")(answer)


def test_build_app_check_names_task_1(capsys):
    _, wrong_validate = _fixture_answer("validate-accepts-nan")
    build = key.build_app
    fn = types.FunctionType(build.__code__, {**build.__globals__,
                                             "validate_instances": wrong_validate})
    check.check_build_app(fn)
    assert "Fix validate_instances first" in capsys.readouterr().out


# -- the hidden tests --------------------------------------------------------------------------

def _hidden(cell_id):
    cell = next(c for c in read(SOLUTION).cells if is_test(c) and grade_id(c) == cell_id)
    return compile("\n".join(region(cell.source, HIDDEN_MARKERS)), cell_id, "exec")


def _run_hidden(cell_id, function_name, answer):
    namespace = _fixture_namespace()
    if hasattr(answer, "__code__"):  # the answer sees (and is patched through) this namespace
        globals_ = {**answer.__globals__, **{k: v for k, v in namespace.items()
                                             if k != function_name}}
        answer = types.FunctionType(answer.__code__, globals_, answer.__name__,
                                    answer.__defaults__, answer.__closure__)
    namespace[function_name] = answer
    exec(_hidden(cell_id), namespace)  # noqa: S102


TASKS = ("validate_instances", "build_app", "start_server", "predict_remote",
         "latency_summary")


@pytest.mark.parametrize("task", TASKS)
def test_hidden_tests_accept_the_key(task):
    _run_hidden(f"test_{task}", task, getattr(key, task))


@pytest.mark.parametrize("name", [w["name"] for w in FIXTURES["wrong"]])
def test_hidden_tests_reject_the_fixtures(name):
    cell_id, answer = _fixture_answer(name)
    with pytest.raises(Exception):  # noqa: B017
        _run_hidden(f"test_{cell_id}", cell_id, answer)
