"""gunicorn entry point for the throughput benchmark: ``gunicorn bench.wsgi:app``."""

import os

from bench.harness import make_bench_app

app = make_bench_app(os.environ["BENCH_DATABASE_URL"])
