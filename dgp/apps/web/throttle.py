"""Failed sign-ins counted per account in Redis, so password guessing is slowed
on every web worker and host alike.

The key is an HMAC of the e-mail address: Redis never holds the address itself.
Counting is per account, not per client address: behind Nginx every client has
the proxy's address, and one attacker must not lock everybody out.
"""

from __future__ import annotations

import hashlib
import hmac

import redis

MAX_FAILURES = 10  # failed sign-ins per account ...
WINDOW_SECONDS = 15 * 60  # ... within this window; then refused until it ends


class LoginThrottle:
    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        key: bytes,
        max_failures: int = MAX_FAILURES,
        window_seconds: int = WINDOW_SECONDS,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.key = key
        self.max_failures = max_failures
        self.window_seconds = window_seconds

    def _key(self, email: str) -> str:
        address = email.strip().lower().encode("utf-8", "surrogatepass")
        tag = hmac.new(self.key, b"login:" + address, hashlib.sha256).hexdigest()[:32]
        return f"{self.prefix}:login-failures:{tag}"

    def retry_after(self, email: str) -> int:
        """Seconds until the account may try again; 0 when it may now."""
        key = self._key(email)
        pipe = self.redis.pipeline(transaction=False)  # one round trip for both
        failures, ttl = pipe.get(key).ttl(key).execute()
        if failures is None or int(failures) < self.max_failures:
            return 0
        return max(1, int(ttl))

    def failed(self, email: str) -> None:
        """Count a failure; the window starts at the first one."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(self._key(email))
        pipe.expire(self._key(email), self.window_seconds, nx=True)
        pipe.execute()

    def succeeded(self, email: str) -> None:
        self.redis.delete(self._key(email))
