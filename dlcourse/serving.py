"""Plumbing for lab 21's prediction service: a FastAPI app with JSON errors, and a uvicorn
server in a background thread that is always stopped.

What this module gives you, and what it leaves to you:

- :class:`BadRequest` - raise it (``BadRequest(422, "why")``) anywhere in an endpoint; the
  app answers with that status and the JSON body ``{"error": "why", "detail": ...}``.
- :func:`create_app` - a FastAPI app with those error handlers installed: a request body
  FastAPI cannot parse gets a JSON 422, an unexpected exception in an endpoint a JSON 500
  whose body shows no traceback (the server keeps the exception in ``app.state.errors``).
  It has ``GET /health``; your code adds the prediction endpoint.
- :class:`PredictRequest` / :class:`PredictResponse` - typed bodies of ``POST /predict``.
- :class:`BackgroundServer` - uvicorn in a daemon thread, bound to the host and port you
  give it (port 0: the operating system picks a free one). ``start()`` waits until the
  server accepts connections; ``stop()``, the end of a ``with`` block, garbage collection
  and the end of the Python process all stop it.
- :func:`local_client` - FastAPI's ``TestClient``: requests go straight to the app, in this
  process, with no server and no network (what tests use); :func:`http_client` - an
  ``httpx.Client`` for a running server.
- :func:`port_is_open` - whether something accepts connections on a host and port.

Validating the instances, writing the endpoint, choosing where to bind, batching requests
on the client and summarising latencies are the lab's tasks, not this module's.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import warnings
import weakref
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["PREDICT_PATH", "BadRequest", "BackgroundServer", "PredictRequest", "PredictResponse",
           "create_app", "error_body", "http_client", "local_client", "port_is_open",
           "running_servers", "stop_all"]

INTERNAL_ERROR = "internal server error"
PREDICT_PATH = "/predict"  # the prediction endpoint's path, shared by the service and clients


class BadRequest(Exception):
    """A request the service refuses: a 4xx status and a message for the client.

    ``BadRequest(status_code, message, detail=None)``; an app made by :func:`create_app`
    answers ``status_code`` with ``{"error": message, "detail": detail}``.
    """

    def __init__(self, status_code: int, message: str, detail: Any = None):
        status_code = int(status_code)
        if not 400 <= status_code <= 499:
            raise ValueError(f"BadRequest is for client errors (4xx), not {status_code}")
        super().__init__(message)
        self.status_code = status_code
        self.message = str(message)
        self.detail = detail

    def __repr__(self) -> str:
        return f"BadRequest({self.status_code}, {self.message!r})"


class PredictRequest(BaseModel):
    """The body of ``POST /predict``: ``{"instances": [instance, ...]}``. FastAPI checks only
    that it is a JSON object holding a list; what is inside the list is yours to check."""

    instances: list[Any] = Field(description="one input per instance, as nested lists")


class PredictResponse(BaseModel):
    """The answer of ``POST /predict``: one class id and one row of probabilities per
    instance, in the order of the request."""

    predictions: list[int]
    probabilities: list[list[float]]


def error_body(error: str, detail: Any = None) -> dict:
    """The JSON body of every error this service sends."""
    return {"error": str(error), "detail": detail}


# -- the app -----------------------------------------------------------------------------------

class _InternalErrors:
    """ASGI middleware: an exception that escapes an endpoint becomes a JSON 500 whose body
    names no code (no traceback, no exception text); the exception is kept on the server in
    ``errors``. (Starlette's own 500 handler re-raises the exception after answering, which
    would print a traceback on the server's stderr.)"""

    def __init__(self, app, errors: list):
        self.app = app
        self.errors = errors

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # an endpoint's bug: the client gets a 500, not a traceback
            self.errors.append(f"{scope.get('method')} {scope.get('path')}: "
                               f"{type(exc).__name__}: {exc}")
            del self.errors[:-100]
            if started:  # the response had begun: nothing better to do than to cut it
                return
            from fastapi.responses import JSONResponse

            response = JSONResponse(error_body(INTERNAL_ERROR, "the server failed to answer "
                                               "this request; it has been logged"),
                                    status_code=500)
            await response(scope, receive, send)


def _validation_detail(errors) -> list[dict]:
    """FastAPI's validation errors, short and JSON-safe (no echo of the whole input)."""
    detail = []
    for error in list(errors)[:10]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        detail.append({"where": where, "problem": str(error.get("msg", ""))[:200]})
    return detail


def create_app(title: str = "prediction service", **info) -> Any:
    """A FastAPI app that answers every error with a JSON body ``{"error", "detail"}``:

    - :class:`BadRequest` raised in an endpoint -> its status code and message;
    - a body FastAPI cannot parse or that does not match the endpoint's declared type
      (not JSON, not an object, a missing field) -> 422;
    - an unknown path or method -> 404 / 405;
    - any other exception in an endpoint -> 500, without a traceback.

    ``GET /health`` answers ``{"status": "ok", **info}``. Add your own endpoints with
    ``@app.post(...)``.
    """
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    app = FastAPI(title=title)
    app.state.errors = []

    async def bad_request(request, exc: BadRequest):
        return JSONResponse(error_body(exc.message, exc.detail), status_code=exc.status_code)

    async def invalid_body(request, exc: RequestValidationError):
        return JSONResponse(error_body("invalid request body", _validation_detail(exc.errors())),
                            status_code=422)

    async def http_error(request, exc: HTTPException):
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    app.add_exception_handler(BadRequest, bad_request)
    app.add_exception_handler(RequestValidationError, invalid_body)
    app.add_exception_handler(HTTPException, http_error)
    app.add_middleware(_InternalErrors, errors=app.state.errors)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", **info}

    return app


# -- the server --------------------------------------------------------------------------------

_RUNNING: weakref.WeakSet = weakref.WeakSet()


def _quiet_uvicorn() -> None:
    """uvicorn's log goes nowhere: a line on stderr would cost a graded cell its marks."""
    logger = logging.getLogger("uvicorn")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _shutdown(server, thread: threading.Thread, sock: socket.socket, timeout: float) -> None:
    """Stop a uvicorn server running in ``thread`` (no reference to the BackgroundServer, so
    that garbage collection can call it)."""
    server.should_exit = True
    thread.join(timeout)
    if thread.is_alive():
        server.force_exit = True
        thread.join(1.0)
    sock.close()


class BackgroundServer:
    """Serve an ASGI app with uvicorn in a daemon thread.

    ``BackgroundServer(app, host=..., port=...)`` binds a listening socket to ``(host,
    port)``; ``port=0`` lets the operating system choose a free port, which ``.port`` tells
    after ``start()``. ``start()`` returns once the server accepts connections (or raises:
    the address is in use, the server did not start in ``start_timeout`` seconds).

    Stopping is guaranteed: ``stop()``, the end of a ``with`` block (also when the block
    raises), garbage collection of the object, and the end of the Python process (a
    ``weakref.finalize`` hook) all shut the server down and close its socket.
    """

    def __init__(self, app, *, host: str, port: int, start_timeout: float = 10.0,
                 stop_timeout: float = 5.0):
        self.app = app
        self.host = str(host)
        self.requested_port = int(port)
        self.port: int | None = None
        self.start_timeout = float(start_timeout)
        self.stop_timeout = float(stop_timeout)
        self._server = None
        self._thread: threading.Thread | None = None
        self._finalizer: weakref.finalize | None = None

    @property
    def url(self) -> str:
        """The base URL a client on this machine uses (``0.0.0.0`` is reached via
        127.0.0.1)."""
        if self.port is None:
            raise RuntimeError("the server is not started: call start() first")
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return bool(self._thread is not None and self._thread.is_alive()
                    and self._server is not None and self._server.started
                    and not self._server.should_exit)

    def start(self) -> BackgroundServer:
        if self.running:
            return self
        if self._thread is not None:
            raise RuntimeError("this server was stopped; make a new BackgroundServer")
        import uvicorn

        _quiet_uvicorn()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio then sets TCP_NODELAY on every accepted connection;
        # with proto 0 it does not, and Nagle's algorithm meets the client's delayed ACK:
        # every answer waits about 40 ms.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(self.app, log_config=None, log_level="warning",
                                access_log=False, lifespan="off",
                                timeout_graceful_shutdown=max(1, int(self.stop_timeout)))
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                                  name=f"dlcourse-server-{self.port}")
        self._server, self._thread = server, thread
        self._finalizer = weakref.finalize(self, _shutdown, server, thread, sock,
                                           self.stop_timeout)
        thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server on {self.host}:{self.port} did not start")
            time.sleep(0.005)
        _RUNNING.add(self)
        return self

    def stop(self) -> None:
        """Shut the server down and close its socket (safe to call twice)."""
        if self._finalizer is not None:
            self._finalizer()
        _RUNNING.discard(self)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else ("stopped" if self._thread else "not started")
        where = f"{self.host}:{self.port if self.port is not None else self.requested_port}"
        return f"BackgroundServer({where}, {state})"


def running_servers() -> list[BackgroundServer]:
    """Every BackgroundServer of this process that is still running."""
    return [server for server in list(_RUNNING) if server.running]


def stop_all() -> int:
    """Stop every running BackgroundServer of this process; return how many there were."""
    servers = running_servers()
    for server in servers:
        server.stop()
    return len(servers)


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``(host, port)``."""
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


# -- clients -----------------------------------------------------------------------------------

def local_client(app, raise_server_exceptions: bool = False):
    """FastAPI's ``TestClient`` for ``app``: an ``httpx.Client`` whose requests go straight to
    the app in this process (no server, no socket). A crash in an endpoint comes back as the
    app's answer (a 500), as a real client would see it, unless ``raise_server_exceptions``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette asks for httpx2; httpx works the same
        from fastapi.testclient import TestClient
    return TestClient(app, raise_server_exceptions=raise_server_exceptions)


def http_client(server: BackgroundServer, timeout: float = 30.0):
    """An ``httpx.Client`` for a running server: its base URL set, connections kept alive
    between requests, proxy settings of the environment ignored (the server is local).
    Close it (or use it in a ``with`` block) when done."""
    import httpx

    return httpx.Client(base_url=server.url, timeout=timeout, trust_env=False)
