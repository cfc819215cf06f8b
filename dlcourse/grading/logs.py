"""Library chatter (nbgrader's log, SQLAlchemy and kernel warnings) goes to a log file, so
that a grading command prints its summary alone."""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path

CHATTY = ("traitlets", "nbgrader", "NbGraderAPI", "py.warnings", "sqlalchemy", "alembic",
          "jupyter_client", "nbclient", "asyncio", "root")


@contextlib.contextmanager
def libraries_quieted(log_path: Path | None):
    """Within the block, the chatty loggers and every warning go to ``log_path``."""
    loggers = [logging.getLogger(None if name == "root" else name) for name in CHATTY]
    saved = [(lg, list(lg.handlers), lg.propagate, lg.level) for lg in loggers]
    with warnings.catch_warnings():
        quiet_libraries(log_path)
        try:
            yield
        finally:
            logging.captureWarnings(False)
            for lg, handlers, propagate, level in saved:
                for handler in list(lg.handlers):
                    lg.removeHandler(handler)
                    if handler not in handlers:
                        handler.close()
                for handler in handlers:
                    lg.addHandler(handler)
                lg.propagate, lg.level = propagate, level


def quiet_libraries(log_path: Path | None) -> None:
    """Send the chatty loggers and every warning to ``log_path`` (or nowhere), for good
    (a grading worker process)."""
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    else:
        handler = logging.NullHandler()
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    for name in CHATTY:
        logger = logging.getLogger(None if name == "root" else name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO if name in ("traitlets", "nbgrader", "NbGraderAPI")
                        else logging.WARNING)


def log_file(root: Path, lab_id: str) -> Path:
    return root / "grading" / "logs" / f"autograde-{lab_id}.log"
