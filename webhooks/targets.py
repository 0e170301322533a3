"""Safe outbound targets: only http(s) URLs that resolve to public addresses.

A webhook URL is typed by an administrator but fetched by the server, so it must not become a way
to reach the server's own network (SSRF: cloud metadata at 169.254.169.254, databases on 10.x,
admin ports on 127.0.0.1).  Every address a name resolves to must be global; the delivery then
connects to exactly the address that was checked (no second DNS lookup an attacker could change).
``allow_loopback`` exists for tests and local development only.
Pure: no Flask, no database.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class UnsafeTarget(ValueError):
    """The URL may not be called by the service (scheme, host or resolved address refused)."""


class UnresolvableHost(UnsafeTarget):
    """The name did not resolve now; it may later (a transient DNS failure is worth a retry)."""


@dataclass(frozen=True)
class Target:
    """A checked URL, and the address to connect to instead of resolving again."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    def pinned_url(self) -> str:
        """The URL with the host replaced by the checked address (IPv6 in brackets)."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        return parts._replace(netloc=f"{host}:{self.port}").geturl()


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHost(f"Fant ikke vertsnavnet «{host}».") from exc
    return sorted({str(info[4][0]) for info in infos})


def address_refusal(address: str, allow_loopback: bool = False) -> str | None:
    """Why ``address`` is refused, or None if it is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "loopback-adresse"
    for attr, reason in (("is_private", "privat adresse"), ("is_link_local", "link-local-adresse"),
                         ("is_multicast", "multicast-adresse"), ("is_reserved", "reservert adresse"),
                         ("is_unspecified", "uspesifisert adresse")):
        if getattr(ip, attr):
            return reason
    if not ip.is_global:
        return "ikke-offentlig adresse"
    return None


def check_url(url: str, allow_loopback: bool = False, resolve: Resolver = system_resolver) -> Target:
    """Validate ``url`` and resolve it; raise ``UnsafeTarget`` with a Norwegian reason if refused."""
    if not isinstance(url, str) or len(url) > 2000:
        raise UnsafeTarget("URL-en mangler eller er for lang.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget("URL-en er ugyldig.") from exc
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("Bare http- og https-adresser er tillatt.")
    if not parts.hostname:
        raise UnsafeTarget("URL-en mangler vertsnavn.")
    if parts.username or parts.password:
        raise UnsafeTarget("URL-en kan ikke inneholde brukernavn eller passord.")
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        addresses = [host]
    except ValueError:
        addresses = resolve(host, port)
    if not addresses:
        raise UnresolvableHost(f"Fant ikke vertsnavnet «{host}».")
    for address in addresses:
        reason = address_refusal(address, allow_loopback)
        if reason:
            raise UnsafeTarget(f"Adressen {address} er ikke tillatt ({reason}).")
    return Target(url=url.strip(), scheme=parts.scheme, host=host, port=port, address=addresses[0])
