"""Where webhooks may go, against server-side request forgery: a platform names a URL, and our
workers, inside our network, POST to it.

An address is one of three kinds (``reach``):

- **never**: link-local (cloud metadata services listen there: 169.254.169.254), the metadata
  services' other addresses, shared address space (100.64.0.0/10, CGNAT), multicast, reserved,
  unspecified (0.0.0.0 reaches this machine on Linux), documentation and benchmarking ranges and
  anything else that is not globally routable;
- **local**: loopback and private networks (RFC 1918, RFC 4193), reached only with
  ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` (``make run`` and the tests, whose receivers are on this
  machine; production refuses the setting);
- **public**: everything else.

An IPv6 address that carries an IPv4 one (``::ffff:127.0.0.1``, 6to4) is judged by the IPv4 one
too. A host written as a number in another spelling than four decimals (``2130706433``,
``0x7f.1``, ``0177.0.0.1``, ``127.1``) is refused outright: resolvers read it as an address, and
a reader of the URL would not.

``host_refusal`` is the check at registration: the host as written, then the addresses its name
resolves to now (a name that does not resolve is accepted; it is checked at every delivery).
``addresses`` is the check at delivery: it resolves the name once and returns its addresses only
if every one of them may be reached, and the caller connects to one of those, never to the name
again, so DNS rebinding between the check and the connection cannot get through.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import socket

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services: never reached, whatever the settings. Most are link-local (refused as
# such); AWS's IPv6 one is in a private range, Alibaba's in the shared one.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
METADATA_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data"}
)
# Names that only ever mean a host on a local network (RFC 6761, RFC 6762, RFC 8375, ICANN's
# .internal, and the suffixes people use for intranets).
LOCAL_SUFFIXES = (
    "localhost",
    "localdomain",
    "local",
    "internal",
    "home.arpa",
    "lan",
    "intranet",
    "corp",
    "home",
    "private",
)
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")
# Resolvers read these as IPv4 numbers: decimal, octal (leading 0) or hex (0x) parts.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$")


class Reach(enum.Enum):
    PUBLIC = "public"
    LOCAL = "local"  # loopback and private: only with WEBHOOK_ALLOW_PRIVATE_NETWORKS
    NEVER = "never"


class Refused(Exception):
    """A destination webhooks may not reach. ``str(exc)`` is for our logs only: it may name an
    address of our network, which the platform is never told."""


class HttpsRequired(Refused):
    """An ``http`` URL while ``PRODUCTION`` is set."""


def _parse(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone does not matter here
    except ValueError:
        return None


def reach(address: Address) -> Reach:
    """What kind of destination ``address`` is (see the module docstring)."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:a.b.c.d is a.b.c.d to a dual-stack socket; a 6to4 address is relayed to its
        # IPv4 one, so it is public only if that one is.
        if address.ipv4_mapped is not None:
            return reach(address.ipv4_mapped)
        if address.sixtofour is not None and reach(address.sixtofour) is not Reach.PUBLIC:
            return Reach.NEVER
    if address in METADATA_ADDRESSES or address.is_link_local:
        return Reach.NEVER
    if address.is_loopback or any(address in network for network in PRIVATE_NETWORKS):
        return Reach.LOCAL
    if (
        address.is_unspecified
        or address.is_multicast
        or address.is_reserved
        or address in SHARED_NETWORK
        or not address.is_global
    ):
        return Reach.NEVER
    return Reach.PUBLIC


def is_allowed(address: Address) -> bool:
    kind = reach(address)
    return kind is Reach.PUBLIC or (
        kind is Reach.LOCAL and bool(settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
    )


def _name_refusal(host: str) -> str | None:
    """Why the platform may not use this host name as written (no resolution), or None."""
    if host in METADATA_NAMES:
        return "url's host is a cloud metadata service, which webhooks never reach"
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return None
    if "." not in host:
        return "url's host is a name without a domain, which webhooks do not reach"
    if any(host == suffix or host.endswith("." + suffix) for suffix in LOCAL_SUFFIXES):
        return "url's host is a local network name, which webhooks do not reach"
    return None


def _address_refusal(address: Address) -> str | None:
    kind = reach(address)
    if kind is Reach.NEVER:
        if address in METADATA_ADDRESSES:
            return "url's host is a cloud metadata service, which webhooks never reach"
        return (
            "url's host is a link-local, shared, multicast, reserved or unspecified address, "
            "which webhooks never reach"
        )
    if kind is Reach.LOCAL and not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return "url's host is a loopback or private network address, which webhooks do not reach"
    return None


def scheme_refusal(scheme: str) -> str | None:
    if settings.PRODUCTION and scheme.lower() != "https":
        return "url must use https"
    return None


def static_refusal(host: str) -> str | None:
    """Why this host, as written (an address or a name; no resolution), may not be used."""
    address = _parse(host)
    if address is not None:
        return _address_refusal(address)
    if _NUMERIC_HOST.match(host):
        return "url's host looks like an IPv4 address but is not written as four decimal numbers"
    return _name_refusal(host)


def host_refusal(scheme: str, host: str, port: int) -> str | None:
    """Why a platform may not register a URL with this scheme and host (lower case, without
    brackets), or None: the message it is shown. A name is resolved once, now; one that does not
    resolve is accepted, since every delivery checks it again."""
    why = scheme_refusal(scheme) or static_refusal(host)
    if why or _parse(host) is not None:
        return why
    try:
        addresses(host, port)
    except Refused:
        return (
            "url's host resolves to an address webhooks do not reach (loopback, private, "
            "link-local or reserved)"
        )
    except OSError:
        return None
    return None


def addresses(host: str, port: int) -> list[str]:
    """The addresses to connect to for ``host``: resolved once, each one checked. Raises
    ``Refused`` when the host as written or any address it resolves to may not be reached (one
    is enough: a resolver's answer mixing a public and a private address is an attack), and
    ``OSError`` (``socket.gaierror``) when the name does not resolve."""
    why = static_refusal(host)
    if why:
        raise Refused(f"{host}: {why}")
    found: list[str] = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        text = str(sockaddr[0])
        address = _parse(text)
        if address is None or not is_allowed(address):
            raise Refused(f"{host} resolves to {text}, which may not be reached")
        if text not in found:
            found.append(text)
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return found
