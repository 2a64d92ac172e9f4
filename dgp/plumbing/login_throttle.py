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

A client or the whole site over its limit stays over it until its Redis key expires:
each process remembers such blocks until then and answers them without asking Redis,
so a flood of tries that are refused anyway costs as little as a request for a page
that does not exist.
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
REMEMBERED_BLOCKS = 10_000  # blocked clients a process remembers before it forgets ended ones


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
        self._blocked: dict[str, float] = {}  # per-client or overall key: blocked until

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
        known = max(self._blocked.get(per_client, 0.0), self._blocked.get(overall, 0.0))
        if known > now:
            return math.ceil(known - now)
        pipe = self.redis.pipeline(transaction=False)  # one round trip for all
        pipe.hmget(pair, "failures", "last").get(per_client).ttl(per_client)
        pipe.get(overall).ttl(overall)
        (failures, last), client_count, client_ttl, overall_count, overall_ttl = pipe.execute()
        waits = [0.0]
        if failures is not None and int(failures) >= self.free_tries:
            delay = min(MAX_DELAY, 2 ** (int(failures) - self.free_tries))
            waits.append(float(last) + delay - now)
        if client_count is not None and int(client_count) >= self.per_client:
            waits.append(self._block(per_client, now, client_ttl, WINDOW))
        if overall_count is not None and int(overall_count) >= self.overall:
            waits.append(self._block(overall, now, overall_ttl, OVERALL_WINDOW))
        return max(0, math.ceil(max(waits)))

    def _block(self, key: str, now: float, ttl: int, window: int) -> int:
        """Remember that `key` is over its limit for the `ttl` seconds its count lives
        (a count without an expiry, which failed() never leaves: `window`)."""
        seconds = max(1, ttl if ttl > 0 else window)
        if len(self._blocked) >= REMEMBERED_BLOCKS:
            self._blocked = {k: until for k, until in self._blocked.items() if until > now}
        if len(self._blocked) < REMEMBERED_BLOCKS:
            self._blocked[key] = now + seconds
        return seconds

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
