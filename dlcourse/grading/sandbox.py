"""Every grading kernel runs in a bubblewrap sandbox.

Inside, a submission sees the operating system, the Python environment, the ``dlcourse``
package, the answer key and the datasets, all read-only, plus an empty writable home
folder and ``/tmp``. The course folder, the gradebook, the solutions and the other
submissions are not there; there is no network; the kernel has its own process namespace,
so it can signal nothing outside. Kernel and client talk over IPC sockets in a private
runtime folder, the only folder shared with the outside.

A trusted launcher outside the sandbox starts it, forwards interrupts to the kernel (the
kernel's process namespace is out of reach of jupyter's process-group signal), and ends
the whole sandbox when an interrupted cell has not stopped after a grace period, or when
the kernel outlives its deadline.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

MODE_ENV = "DLCOURSE_SANDBOX"  # "bwrap" (the default) or "off"
DEADLINE_ENV = "DLCOURSE_GRADER_DEADLINE_S"
DEFAULT_DEADLINE_S = 3600
GRACE_S = 10.0
INSIDE_FLAG = "--inside-sandbox"
GRADER_DIR = "/grader"  # where the answer key appears inside the sandbox
HOME = "/home/student"
DATA_CACHE, DATA_MIRROR = "/data/cache", "/data/mirror"
# Variables passed from the grader's environment into the sandbox (everything else is
# cleared): the grading settings and numerical-library tuning.
PASSED_ENV_PREFIXES = ("DLCOURSE_", "TF_", "KERAS_", "OPENBLAS_", "OMP_", "MKL_")
PASSED_ENV = ("PYTHONWARNINGS", "LANG", "PYTHONHASHSEED")
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: "
                "`dnf install bubblewrap`), or grade without isolation with --unsandboxed")


class SandboxUnavailable(RuntimeError):
    """Grading cannot isolate submissions on this machine."""


def mode() -> str:
    return "off" if os.environ.get(MODE_ENV, "bwrap").strip().lower() == "off" else "bwrap"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def probe() -> str | None:
    """Why a sandbox cannot start here, or None when it can."""
    path = bwrap_path()
    if path is None:
        return "bubblewrap (bwrap) is not installed"
    cmd = [path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not start: {exc}"
    if proc.returncode != 0:
        return f"bwrap cannot create namespaces here: {proc.stderr.strip()[:200]}"
    return None


@functools.lru_cache(maxsize=1)
def _cached_probe() -> str | None:
    return probe()


def check_mode() -> None:
    """Fail early, with what to do, when grading is to be sandboxed and cannot be."""
    if mode() == "bwrap" and _cached_probe():
        raise SandboxUnavailable(f"cannot isolate submissions: {_cached_probe()}; "
                                 f"{INSTALL_HINT}")


def require(unsandboxed: bool = False) -> None:
    """Refuse to grade without a sandbox unless the instructor asked for it (and then warn)."""
    if unsandboxed:
        os.environ[MODE_ENV] = "off"
        print("dlcourse: WARNING: grading WITHOUT a sandbox: submissions run with your "
              "permissions and can read or change the course folder", file=sys.stderr)
        return
    os.environ[MODE_ENV] = "bwrap"
    check_mode()


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels can live in a sandbox: IPC transport, with the
    connection file and sockets in a private folder made for each kernel."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._runtime = tempfile.mkdtemp(prefix="dlcourse-kernel-")
        self.transport = "ipc"
        self.ip = os.path.join(self._runtime, "kernel")
        self.connection_file = os.path.join(self._runtime, "connection.json")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._runtime, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources


# The launcher: ``python -m dlcourse.grading.kernel -f CONNECTION_FILE`` (the kernel spec).


def _ro_binds_for_system() -> list[str]:
    args = []
    for top in ("/usr", "/etc", "/opt"):
        if os.path.isdir(top) and not os.path.islink(top):
            args += ["--ro-bind", top, top]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def _python_binds() -> list[str]:
    """The interpreter, the environment and the dlcourse package (read-only)."""
    import dlcourse

    paths = {os.path.realpath(sys.base_prefix), sys.prefix, os.path.realpath(sys.prefix),
             str(Path(dlcourse.__file__).resolve().parent)}
    registry = Path(dlcourse.__file__).resolve().parents[1] / "datasets" / "registry.toml"
    if registry.is_file():  # an editable install reads the registry from the checkout
        paths.add(str(registry))
    args = []
    for path in sorted(p for p in paths if not p.startswith(("/usr/", "/etc/", "/opt/"))):
        args += ["--ro-bind", path, path]
    return args


def _environment(answer_key: str | None, data: dict[str, str]) -> list[str]:
    env = {k: v for k, v in os.environ.items()
           if k.startswith(PASSED_ENV_PREFIXES) or k in PASSED_ENV}
    env.pop("DLCOURSE_DATA_DIR", None)
    env.pop("DLCOURSE_DATA_MIRROR", None)
    env.update(data)
    env.update(HOME=HOME, PATH=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
               MPLCONFIGDIR=f"{HOME}/.config/matplotlib", LANG=env.get("LANG", "C.UTF-8"))
    if answer_key:
        env["PYTHONPATH"] = GRADER_DIR
    args = ["--clearenv"]
    for key, value in sorted(env.items()):
        args += ["--setenv", key, value]
    return args


def _data_binds() -> tuple[list[str], dict[str, str]]:
    """The dataset mirrors (with a writable scratch cache), else the instructor's cache."""
    from dlcourse.datasets.files import cache_dir, mirror_dirs

    mirrors = [m.resolve() for m in mirror_dirs() if m.is_dir()]
    if mirrors:
        inside = [f"{DATA_MIRROR}/{i}" for i in range(len(mirrors))]
        binds = [arg for i, m in enumerate(mirrors) for arg in ("--ro-bind", str(m), inside[i])]
        return binds, {"DLCOURSE_DATA_MIRROR": os.pathsep.join(inside),
                       "DLCOURSE_DATA_DIR": "/tmp/data"}
    cache = cache_dir()
    if cache.is_dir():
        return ["--ro-bind", str(cache.resolve()), DATA_CACHE], {"DLCOURSE_DATA_DIR": DATA_CACHE}
    return [], {"DLCOURSE_DATA_DIR": "/tmp/data"}


def bwrap_command(connection_file: str, inner: list[str]) -> list[str]:
    """The bwrap command line that runs ``inner`` (the kernel) in a fresh sandbox."""
    from dlcourse.grading.config import answer_key_path

    runtime = os.path.dirname(os.path.realpath(connection_file))
    key = answer_key_path()
    data_args, data_env = _data_binds()
    cmd = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
           "--cap-drop", "ALL", "--hostname", "grader",
           *_ro_binds_for_system(), "--proc", "/proc", "--dev", "/dev",
           "--tmpfs", "/tmp",  # before any bind below /tmp
           *_python_binds(), *data_args,
           "--bind", runtime, runtime,
           "--tmpfs", HOME, "--chdir", HOME]
    if key:
        cmd += ["--ro-bind", str(key / "answer_key"), f"{GRADER_DIR}/answer_key"]
    return cmd + _environment(str(key) if key else None, data_env) + ["--", *inner]


class _Watch:
    """Follows the kernel's busy/idle status on its IOPub channel (a read-only view)."""

    def __init__(self, connection_file: str):
        self.busy: set[str] = set()
        self._lock = threading.Lock()
        info = json.loads(Path(connection_file).read_text())
        self._address = f"ipc://{info['ip']}-{info['iopub_port']}"
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        import zmq

        sock = zmq.Context.instance().socket(zmq.SUB)
        sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(self._address)
        while True:
            try:
                parts = sock.recv_multipart()
                i = parts.index(b"<IDS|MSG>")
                header, parent, content = (json.loads(parts[i + k]) for k in (2, 3, 5))
            except (ValueError, IndexError, UnicodeDecodeError):
                continue
            if header.get("msg_type") != "status":
                continue
            msg_id = parent.get("msg_id")
            with self._lock:
                if content.get("execution_state") == "busy":
                    self.busy.add(msg_id)
                elif content.get("execution_state") == "idle":
                    self.busy.discard(msg_id)

    def snapshot(self) -> set[str]:
        with self._lock:
            return set(self.busy)


def _end(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _kernel_pids(proc: subprocess.Popen) -> list[int]:
    import psutil

    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [c.pid for c in children if INSIDE_FLAG in " ".join(_cmdline(c))]


def _cmdline(process) -> list[str]:
    try:
        return process.cmdline()
    except Exception:  # the process ended or cannot be read
        return []


def launch(connection_file: str) -> int:
    """Run the kernel in a sandbox and stay outside as its trusted keeper."""
    inner = [sys.executable, "-m", "dlcourse.grading.kernel", INSIDE_FLAG, "-f", connection_file]
    proc = subprocess.Popen(bwrap_command(connection_file, inner), start_new_session=True,
                            stdout=subprocess.DEVNULL)  # ipykernel's banner
    watch = _Watch(connection_file)
    deadline = time.monotonic() + float(os.environ.get(DEADLINE_ENV, DEFAULT_DEADLINE_S))

    def end_if_still_busy(interrupted: set[str]) -> None:
        if interrupted & watch.snapshot():
            print("dlcourse sandbox: an interrupted cell did not stop; ending the sandbox",
                  file=sys.stderr)
            _end(proc)

    def on_interrupt(signum, frame) -> None:
        for pid in _kernel_pids(proc):
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        timer = threading.Timer(GRACE_S, end_if_still_busy, args=(watch.snapshot(),))
        timer.daemon = True
        timer.start()

    def on_terminate(signum, frame) -> None:
        _end(proc)
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, on_interrupt)
    signal.signal(signal.SIGTERM, on_terminate)
    while proc.poll() is None:
        if time.monotonic() > deadline:
            print("dlcourse sandbox: the kernel outlived its deadline; ending the sandbox",
                  file=sys.stderr)
            _end(proc)
        time.sleep(0.2)
    return proc.returncode
