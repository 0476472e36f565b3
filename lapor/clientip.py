"""The client's address, as far as we can trust it.

Behind a reverse proxy REMOTE_ADDR is the proxy, and the client's address is in X-Forwarded-For.
That header is written by whoever sends the request, so it is believed only when the request comes
from a proxy listed in LAPOR_TRUSTED_PROXIES, and only as far back as the chain of trusted proxies
goes: reading the header from the right, each trusted hop vouches for the address to its left, and
the first address that is not a trusted proxy is the client. Anything a client wrote further left
is ignored. With no trusted proxies (the default, and `make run`), REMOTE_ADDR is the client.

Every per-address rule (the submission limit, the API's unknown-key limit, the login lockout) asks
`client_ip(request)`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_networks() -> tuple[_Network, ...]:
    return _networks(tuple(settings.LAPOR_TRUSTED_PROXIES))


def _address(value: str) -> _Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client reaching an IPv6 socket shows up as ::ffff:a.b.c.d.
    return getattr(address, "ipv4_mapped", None) or address


def _trusted(address: _Address, networks) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request) -> str:
    """The client's address as text ('' when REMOTE_ADDR is missing or unreadable)."""
    cached = getattr(request, "_lapor_client_ip", None)
    if cached is not None:
        return cached
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    networks = trusted_networks()
    client = peer
    if peer is not None and _trusted(peer, networks):
        hops = [hop for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:  # garbage a client wrote: stop at the last hop a proxy vouched for
                break
            client = address
            if not _trusted(address, networks):
                break
    result = str(client) if client is not None else ""
    request._lapor_client_ip = result
    return result
