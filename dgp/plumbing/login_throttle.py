"""Failed password checks counted in Redis, so guessing is slowed on every web worker
and host alike, without locking the owner out.

Three counts, each keyed by an HMAC (Redis never holds an address, e-mail or IP):
- per account and client: after FREE_TRIES failures, each further try of that pair
  waits twice as long as the last (1 s, 2 s, 4 s ... up to MAX_DELAY). The owner,
  from another client, is not slowed by an attacker's failures; an admin can clear
  an account's delays (`dgp user unlock`);
- per client address: at most PER_CLIENT failures in WINDOW, whatever the accounts
  (one client guessing one password across many accounts);
- overall: at most OVERALL failures in OVERALL_WINDOW from all clients together,
  which bounds the password-hashing work a flood can cause.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

import redis

FREE_TRIES = 5  # failures of one account from one client before delays start
MAX_DELAY = 15 * 60  # seconds: the longest a pair waits between tries
PAIR_MEMORY = 24 * 3600  # a pair's failures are forgotten a day after the last one
PER_CLIENT = 30  # failures per client address ...
WINDOW = 15 * 60  # ... within this window
OVERALL = 600  # failures from all clients within OVERALL_WINDOW
OVERALL_WINDOW = 60


class LoginThrottle:
    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        key: bytes,
        *,
        free_tries: int = FREE_TRIES,
        per_client: int = PER_CLIENT,
        overall: int = OVERALL,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.key = key
        self.free_tries = free_tries
        self.per_client = per_client
        self.overall = overall

    def _tag(self, kind: bytes, value: str) -> str:
        normal = value.strip().lower().encode("utf-8", "surrogatepass")
        return hmac.new(self.key, kind + b":" + normal, hashlib.sha256).hexdigest()[:32]

    def _keys(self, email: str, client: str) -> tuple[str, str, str]:
        account = self._tag(b"login", email)
        return (
            f"{self.prefix}:login:pair:{account}:{self._tag(b'client', client)}",
            f"{self.prefix}:login:client:{self._tag(b'client', client)}",
            f"{self.prefix}:login:overall",
        )

    def retry_after(self, email: str, client: str, now: float | None = None) -> int:
        """Seconds until this account may be tried from this client; 0 when it may now."""
        now = time.time() if now is None else now
        pair, per_client, overall = self._keys(email, client)
        pipe = self.redis.pipeline(transaction=False)  # one round trip for all
        pipe.hmget(pair, "failures", "last").get(per_client).ttl(per_client).get(overall)
        (failures, last), client_count, client_ttl, overall_count = pipe.execute()
        waits = [0.0]
        if failures is not None and int(failures) >= self.free_tries:
            delay = min(MAX_DELAY, 2 ** (int(failures) - self.free_tries))
            waits.append(float(last) + delay - now)
        if client_count is not None and int(client_count) >= self.per_client:
            waits.append(max(1, int(client_ttl)))
        if overall_count is not None and int(overall_count) >= self.overall:
            waits.append(OVERALL_WINDOW)
        return max(0, math.ceil(max(waits)))

    def failed(self, email: str, client: str, now: float | None = None) -> None:
        """Count a failure in all three; each window starts at its first failure."""
        now = time.time() if now is None else now
        pair, per_client, overall = self._keys(email, client)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(pair, "failures", 1).hset(pair, "last", repr(now))
        pipe.expire(pair, PAIR_MEMORY)
        pipe.incr(per_client).expire(per_client, WINDOW, nx=True)
        pipe.incr(overall).expire(overall, OVERALL_WINDOW, nx=True)
        pipe.execute()

    def succeeded(self, email: str, client: str) -> None:
        """The owner got in from this client: its pair starts afresh."""
        self.redis.delete(self._keys(email, client)[0])

    def unlock(self, email: str) -> int:
        """Clear every client's delays for an account (an admin's command); how many."""
        pattern = f"{self.prefix}:login:pair:{self._tag(b'login', email)}:*"
        keys = list(self.redis.scan_iter(match=pattern, count=1000))
        return int(self.redis.delete(*keys)) if keys else 0
