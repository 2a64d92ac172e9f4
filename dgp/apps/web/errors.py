"""Every error the web app gives is JSON `{"error": {"code", "message"}}` with the right status.

Outages (Postgres, Redis, an open circuit breaker) become 503 with Retry-After,
so clients and Nginx back off instead of retrying at once; nothing in an error
message comes from a stack trace or names another tenant's objects.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import falcon
import redis

from dgp.plumbing.breakers import BreakerOpen
from dgp.plumbing.store import PasswordWorkBusy, StoreUnavailable, UploadTooLarge

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2  # an outage seen directly (no breaker to say how long)
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(falcon.HTTPError):
    """An HTTPError with a stable, machine-readable `code` string."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, title=code, description=message, headers=headers)
        self.error_code = code


def bad_request(message: str, code: str = "bad_request") -> ApiError:
    return ApiError(400, code, message)


def unauthorized(message: str = "sign in or send a valid API token") -> ApiError:
    return ApiError(
        401, "unauthorized", message, {"WWW-Authenticate": 'Bearer realm="dataguardian"'}
    )


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def not_found(what: str) -> ApiError:
    """The same answer for missing, malformed and other organisations' ids."""
    return ApiError(404, "not_found", f"no such {what}")


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "too_large", f"the request body is larger than {max_bytes} bytes")


def too_many_requests(message: str, retry_after: int) -> ApiError:
    return ApiError(429, "too_many_requests", message, {"Retry-After": str(max(1, retry_after))})


def unavailable(message: str, retry_after: int = RETRY_AFTER_SECONDS) -> ApiError:
    return ApiError(503, "unavailable", message, {"Retry-After": str(max(1, retry_after))})


def serialize(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    """JSON whatever the client accepts: API clients parse one error shape only."""
    status = falcon.http_status_to_code(error.status)
    code = getattr(error, "error_code", None) or _CODES.get(status, "error")
    message = error.description or error.title or code
    resp.content_type = falcon.MEDIA_JSON
    resp.data = json.dumps({"error": {"code": code, "message": message}}).encode()


def _store_down(req: Any, resp: Any, error: StoreUnavailable, params: Any) -> None:
    log.warning("Postgres unavailable: %s", error)
    raise unavailable("the database is unavailable; try again shortly")


def _breaker_open(req: Any, resp: Any, error: BreakerOpen, params: Any) -> None:
    raise unavailable(f"{error.name} is unavailable; try again shortly", error.retry_after)


def _redis_down(req: Any, resp: Any, error: redis.RedisError, params: Any) -> None:
    log.warning("Redis unavailable: %s", error)
    raise unavailable("the job queue is unavailable; try again shortly")


def _upload_too_large(req: Any, resp: Any, error: UploadTooLarge, params: Any) -> None:
    raise too_large(error.max_bytes)


def _password_work_busy(req: Any, resp: Any, error: PasswordWorkBusy, params: Any) -> None:
    raise too_many_requests(str(error), 1)


def install(app: falcon.App) -> None:
    app.set_error_serializer(serialize)
    app.add_error_handler(StoreUnavailable, _store_down)
    app.add_error_handler(BreakerOpen, _breaker_open)
    app.add_error_handler((redis.ConnectionError, redis.TimeoutError), _redis_down)
    app.add_error_handler(UploadTooLarge, _upload_too_large)
    app.add_error_handler(PasswordWorkBusy, _password_work_busy)
