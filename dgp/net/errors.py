"""What can go wrong with a network target, told apart by what the caller does next.

Every message is safe to show and to log: URLs in it are redacted (no user
information, no secret query values), so a scan's error never carries a token.
"""

from __future__ import annotations


class NetError(Exception):
    """Base of the network errors; `reason` is the message, `unreachable` says the host
    may only be down for now (circuit breakers count it; a retry may succeed)."""

    unreachable = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TargetRefused(NetError, ValueError):
    """The target is not allowed: credentials in it, a scheme we do not speak, an address
    on a private network (also reached through a redirect). Final: retrying cannot help.
    A ValueError, so code that turns bad input into a clear 400 or a failed scan catches it."""


class TargetUnreachable(NetError):
    """No answer in time: the name did not resolve, the connection failed or the time
    limit ran out. The host may be down; the same request may work later."""

    unreachable = True


class FetchFailed(NetError):
    """The host answered, but not acceptably: too large, too many redirects, a TLS
    certificate that does not verify, a broken protocol exchange."""


class ResponseTooLarge(FetchFailed):
    """The body went past the byte limit; reading stopped there."""


class TooManyRedirects(FetchFailed):
    """More redirects than the limit allows (or a loop)."""


class TLSFailed(FetchFailed):
    """The TLS handshake failed; certificate errors say why (verification stays on)."""
