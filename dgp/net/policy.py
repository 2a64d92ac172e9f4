"""Which addresses a scan may connect to (SSRF protection), and resolving names once.

A target is refused when any address its name resolves to is loopback, private,
link-local, a cloud metadata endpoint, unspecified, multicast, reserved or set
aside for documentation and benchmarks, also when such an IPv4 address hides in
an IPv6 one (mapped, compatible, 6to4, NAT64, Teredo). The table is ours, not
`ipaddress.is_global`, whose answers changed between Python releases.

An administrator can allow private networks (`allow_private`: every unicast
address except the metadata endpoints, which hand out cloud credentials) or
name networks (`allow_networks`: these are allowed whatever they are; tests
allow loopback so). The checked addresses are what a connection must use
(see dgp.net.fetch and dgp.scanners.git): a name is resolved once, never twice.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dgp.net.errors import TargetRefused, TargetUnreachable
from dgp.net.urls import TargetURL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> the addresses the name stands for, in the order to try them
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Range:
    network: Network
    label: str  # "a loopback address", said in a refusal
    unicast: bool  # a host can have it: allow_private allows it (metadata excepted)
    metadata: bool = False  # a cloud metadata endpoint: only allow_networks allows it


def _ranges(*rows: tuple[str, str, bool]) -> tuple[Range, ...]:
    return tuple(Range(ipaddress.ip_network(net), label, unicast) for net, label, unicast in rows)


METADATA = tuple(
    Range(ipaddress.ip_network(net), "a cloud metadata address", unicast=False, metadata=True)
    for net in (
        "169.254.169.254/32",  # AWS, Azure, GCP, Oracle, OpenStack, DigitalOcean
        "169.254.170.2/32",  # AWS ECS task metadata
        "100.100.100.200/32",  # Alibaba Cloud
        "192.0.0.192/32",  # Oracle Cloud
        "fd00:ec2::254/128",  # AWS over IPv6
    )
)
# IANA's special-purpose registries, the ranges a scan has no business reaching
SPECIAL = METADATA + _ranges(
    ("0.0.0.0/32", "the unspecified address", False),
    ("0.0.0.0/8", "a 'this network' address", False),
    ("10.0.0.0/8", "a private address", True),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address", True),
    ("127.0.0.0/8", "a loopback address", True),
    ("169.254.0.0/16", "a link-local address", True),
    ("172.16.0.0/12", "a private address", True),
    ("192.0.0.0/24", "an IETF protocol address", True),
    ("192.0.2.0/24", "a documentation address", True),
    ("192.88.99.0/24", "a 6to4 relay address", True),
    ("192.168.0.0/16", "a private address", True),
    ("198.18.0.0/15", "a benchmarking address", True),
    ("198.51.100.0/24", "a documentation address", True),
    ("203.0.113.0/24", "a documentation address", True),
    ("224.0.0.0/4", "a multicast address", False),
    ("255.255.255.255/32", "the broadcast address", False),
    ("240.0.0.0/4", "a reserved address", False),
    ("::/128", "the unspecified address", False),
    ("::1/128", "a loopback address", True),
    ("64:ff9b:1::/48", "a local-use NAT64 address", True),
    ("100::/64", "a discard-only address", False),
    ("2001:2::/48", "a benchmarking address", True),
    ("2001:10::/28", "an ORCHID address", False),
    ("2001:20::/28", "an ORCHID address", False),
    ("2001:db8::/32", "a documentation address", True),
    ("3fff::/20", "a documentation address", True),
    ("fc00::/7", "a unique local (private) address", True),
    ("fe80::/10", "a link-local address", True),
    ("fec0::/10", "a site-local address", True),
    ("ff00::/8", "a multicast address", False),
)
GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_TEREDO = ipaddress.ip_network("2001::/32")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def embedded_ipv4(address: Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries (and how), which is where it leads."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    v4 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _MAPPED:
        return "IPv4-mapped", v4
    if address in _COMPATIBLE and int(address) > 1:  # :: and ::1 are themselves
        return "IPv4-compatible", v4
    if address in _NAT64:
        return "NAT64", v4
    if address in _SIX_TO_FOUR and address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address in _TEREDO and address.teredo is not None:
        return "Teredo", address.teredo[1]
    return None


@dataclass(frozen=True)
class NetPolicy:
    """Where a scan may connect. The default refuses every non-public address."""

    allow_private: bool = False
    allow_networks: tuple[Network, ...] = ()

    @classmethod
    def allowing(cls, *networks: str, allow_private: bool = False) -> NetPolicy:
        """A policy that allows these networks ("127.0.0.0/8", "::1") besides the public."""
        return cls(allow_private, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def refusal(self, address: Address | str) -> str | None:
        """Why `address` may not be connected to ("a loopback address"), or None."""
        address = ipaddress.ip_address(address)
        if any(address in network for network in self.allow_networks):
            return None
        embedded = embedded_ipv4(address)
        if embedded is not None:
            how, v4 = embedded
            inner = self.refusal(v4)
            if inner is not None:
                return f"the {how} form of {v4}, {inner}"
            if how in ("IPv4-mapped", "IPv4-compatible") and not self.allow_private:
                return f"an {how} IPv6 address"  # no host has one: an evasion, or a mistake
            return None
        for special in SPECIAL:
            if address in special.network:
                allowed = self.allow_private and special.unicast and not special.metadata
                return None if allowed else special.label
        if isinstance(address, ipaddress.IPv6Address) and address not in GLOBAL_UNICAST_V6:
            return "a reserved IPv6 address"
        return None

    def check_address(self, host: str, address: Address | str) -> None:
        """TargetRefused, saying which address and why, unless the policy allows it."""
        reason = self.refusal(address)
        if reason is None:
            return
        what = f"{address} is" if host == str(address) else f"{host} resolves to {address},"
        hint = "" if self.allow_private else " (an administrator can allow private networks)"
        raise TargetRefused(f"{what} {reason}: refused{hint}")


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses getaddrinfo gives for host, in its order (RFC 6724), each once."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise TargetUnreachable(f"cannot resolve {host}: {e.strerror}") from None
    except UnicodeError:
        raise TargetRefused(f"{host!r} is not a valid host name") from None
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    return list(dict.fromkeys(addresses))


@dataclass(frozen=True)
class Checked:
    """A target and the addresses it was checked at: connect to these, never resolve again."""

    target: TargetURL
    addresses: tuple[str, ...]


def check_target(target: TargetURL, policy: NetPolicy, resolver: Resolver | None = None) -> Checked:
    """Resolve the target's host once and check every address; TargetRefused names the
    first one refused. An address literal is checked as it is, without a lookup."""
    literal = target.address
    if literal is not None:
        addresses: Iterable[str] = [str(literal)]
    else:
        addresses = (resolver or system_resolver)(target.host, target.port)
        if not addresses:
            raise TargetUnreachable(f"cannot resolve {target.host}: no address")
    checked = tuple(str(ipaddress.ip_address(a)) for a in addresses)
    for address in checked:
        policy.check_address(target.host, address)
    return Checked(target, checked)
