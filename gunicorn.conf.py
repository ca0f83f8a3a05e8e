"""gunicorn's settings for web (Dockerfile and docker-compose.yml pass ``--config`` this file).

Logs: gunicorn's error and access lines on stdout in the app's format (JSON in production,
referral/web/gunicorn_logging.py); the app's own lines go to stdout too (referral/web/logs.py).
"""

accesslog = "-"
errorlog = "-"
logger_class = "referral.web.gunicorn_logging.JsonLogger"


# Prometheus multiprocess mode (referral/ops/metrics.py): with PROMETHEUS_MULTIPROC_DIR set (the
# Dockerfile sets it) each worker writes its request metrics to files there and /metrics sums
# them. Files of an earlier run would be counted again, so the directory is emptied at start;
# an exited worker's live gauges are dropped.
def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    import os
    from pathlib import Path

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
