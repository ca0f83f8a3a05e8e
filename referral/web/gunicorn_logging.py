"""gunicorn's own lines (its error log and its access log) in the app's format, on stdout.

gunicorn.conf.py names ``JsonLogger`` as gunicorn's ``logger_class``. The access line is built
from the request's environ, where the app left the request id, URL rule and user's ids
(referral/web/logs.py): never the path, query string or headers, which may carry tokens.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from gunicorn.glogging import Logger

from referral.web.logs import FORMATS, install_filters, make_formatter


def log_format(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """REFERRAL_LOG_FORMAT, else json in production and text elsewhere (as create_app)."""
    fmt = environ.get("REFERRAL_LOG_FORMAT", "").strip()
    if fmt in FORMATS:
        return fmt
    return "json" if environ.get("REFERRAL_ENV") == "production" else "text"


class JsonLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = make_formatter(log_format())
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if isinstance(handler, logging.StreamHandler) and not isinstance(
                        handler, logging.FileHandler):
                    handler.setStream(sys.stdout)
                handler.setFormatter(formatter)
                install_filters(handler)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = getattr(resp, "status_code", None)
        route = environ.get("referral.route")
        fields = {
            "request_id": environ.get("referral.request_id"),
            "method": req.method,
            "route": route,
            "status": status,
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "user_id": environ.get("referral.user_id"),
            "agency_id": environ.get("referral.agency_id"),
            "response_bytes": getattr(resp, "sent", None),
        }
        try:
            self.access_log.info("%s %s %s", req.method, route or "-", status, extra=fields)
        except Exception:  # noqa: BLE001 - as gunicorn's own: a log line never fails a request
            self.exception("access log line failed")
