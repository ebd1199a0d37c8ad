"""Where webhooks may go: loopback, private, link-local, shared, multicast, reserved and
unspecified addresses (in any spelling) and cloud metadata services are refused when an endpoint
is registered and again, on the address the name resolves to, at every delivery, which connects
to that checked address. Loopback and private networks are reachable only with
WEBHOOK_ALLOW_PRIVATE_NETWORKS (the test suite's own receivers need it); production wants https.
What a refused or failed delivery records says nothing of our network."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from payouts.payees.services import payee_update
from tests.support.events import fanned_out
from tests.webhooks.webhook_receiver import Receiver, receiving
from webhooks import endpoints as webhooks
from webhooks.delivery import deliveries_send
from webhooks.errors import InvalidUrl
from webhooks.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

NOT_ALLOWED = "the destination address is not allowed"
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as started:
        yield started


@pytest.fixture
def private_networks_refused(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False


class FakeDns:
    """The far side of name resolution: ``names`` answer what the test says (and count how often
    they are asked); every other name is resolved for real (the database, the broker)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[str]] = {}
        self.asked: dict[str, int] = {}
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.asked[name] = self.asked.get(name, 0) + 1
            return [
                found
                for address in self.answers[name]
                for found in real(address, port, *args, **kwargs)
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    return FakeDns(monkeypatch)


def _refused(platform: Any, url: str) -> str:
    with pytest.raises(InvalidUrl) as caught:
        webhooks.endpoint_create(platform=platform, url=url)
    assert (caught.value.code, caught.value.details["field"]) == ("invalid_url", "url")
    assert not WebhookEndpoint.objects.exists()
    return caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://169.254.170.2/v2/credentials",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://metadata/computeMetadata/v1/",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://0.0.0.0:8000/",
        "http://[::]/",
        "http://240.0.0.1/",
        "http://192.0.2.10/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0x7f000001:6379/",
    ],
)
def test_registration_refuses_what_webhooks_never_reach(platform, url) -> None:
    """Even where loopback and private networks are allowed (this suite allows them)."""
    message = _refused(platform, url)
    assert message.startswith("url")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://127.8.9.10/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://localhost:8000/hooks",
        "http://api.localhost/",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://[fd12:3456::1]/",
        "http://printer.local/",
        "http://db.internal/",
        "http://redis:6379/",
    ],
)
def test_loopback_and_private_are_refused_unless_allowed(platform, url, settings) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    assert "not reach" in _refused(platform, url)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    endpoint, _ = webhooks.endpoint_create(platform=platform, url=url)
    assert endpoint.url == url


def test_a_name_that_resolves_to_a_private_address_is_refused(
    platform, dns: FakeDns, private_networks_refused: None
) -> None:
    dns.answers["intranet.example.net"] = ["10.1.2.3"]
    assert "resolves to" in _refused(platform, "https://intranet.example.net/hooks")
    # One address webhooks may not reach among public ones is enough.
    dns.answers["mixed.example.net"] = [PUBLIC_ADDRESS, "127.0.0.1"]
    assert "resolves to" in _refused(platform, "https://mixed.example.net/hooks")
    # A name that does not resolve now may later: each delivery checks it again.
    endpoint, _ = webhooks.endpoint_create(platform=platform, url="https://nxdomain.invalid/h")
    assert endpoint.url == "https://nxdomain.invalid/h"


def test_production_wants_https(platform, settings) -> None:
    settings.PRODUCTION = True
    assert _refused(platform, "http://hooks.example.com/x") == "url must use https"
    endpoint, _ = webhooks.endpoint_create(platform=platform, url="https://hooks.example.com/x")
    with pytest.raises(InvalidUrl):
        webhooks.endpoint_update(
            platform=platform, endpoint_id=endpoint.id, url="http://hooks.example.com/y"
        )
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/x"


def _deliver_once(endpoint: WebhookEndpoint, platform: Any, make_payee: Any) -> WebhookAttempt:
    """A payee.updated event, and the one attempt of its delivery to ``endpoint``."""
    payee = make_payee()
    payee_update(platform=platform, payee_id=payee.id, legal_name=f"N {endpoint.url}")
    fanned_out()
    event = Event.objects.filter(object_type="payee", object_id=payee.id).latest("sequence")
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)
    deliveries_send(delivery_ids=[delivery.id])
    return WebhookAttempt.objects.filter(delivery=delivery).get()


def test_delivery_checks_the_address_again(platform, make_payee, receiver, settings) -> None:
    """An endpoint registered while loopback was allowed, or whose row says loopback in another
    spelling (as a name that later resolves there would), gets nothing once it is not."""
    endpoint, secret = webhooks.endpoint_create(platform=platform, url=receiver.url)
    receiver.secrets = [secret]
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    port = receiver.port
    for url in (
        receiver.url,
        f"http://localhost:{port}/hooks",
        f"http://2130706433:{port}/hooks",
        f"http://0x7f.1:{port}/hooks",
    ):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=url)
        endpoint.refresh_from_db()
        attempt = _deliver_once(endpoint, platform, make_payee)
        assert (attempt.status_code, attempt.error, attempt.response_excerpt) == (
            None,
            NOT_ALLOWED,
            "",
        ), url
        assert receiver.requests == 0
    assert set(WebhookDelivery.objects.values_list("last_error", flat=True)) == {NOT_ALLOWED}

    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)
    endpoint.refresh_from_db()
    attempt = _deliver_once(endpoint, platform, make_payee)
    assert (attempt.status_code, attempt.error) == (200, "")
    assert receiver.requests == 1


def test_a_name_rebound_to_loopback_after_registration_gets_nothing(
    platform, make_payee, receiver, dns: FakeDns, private_networks_refused: None
) -> None:
    dns.answers["rebind.example.net"] = [PUBLIC_ADDRESS]
    url = f"http://rebind.example.net:{receiver.port}/hooks"
    endpoint, secret = webhooks.endpoint_create(platform=platform, url=url)
    receiver.secrets = [secret]
    dns.answers["rebind.example.net"] = ["127.0.0.1"]
    attempt = _deliver_once(endpoint, platform, make_payee)
    assert (attempt.status_code, attempt.error) == (None, NOT_ALLOWED)
    assert receiver.requests == 0


def test_a_delivery_connects_to_the_address_it_checked(
    platform, make_payee, receiver, dns: FakeDns
) -> None:
    """The name is resolved once per connection; the request still names the host it was
    registered with."""
    dns.answers["pinned.example.net"] = ["127.0.0.1"]
    url = f"http://pinned.example.net:{receiver.port}/hooks"
    endpoint, secret = webhooks.endpoint_create(platform=platform, url=url)
    receiver.secrets = [secret]
    dns.asked.clear()
    attempt = _deliver_once(endpoint, platform, make_payee)
    assert (attempt.status_code, attempt.error) == (200, "")
    assert dns.asked == {"pinned.example.net": 1}
    [got] = receiver.received
    assert got.headers["Host"] == f"pinned.example.net:{receiver.port}"


def test_failures_say_nothing_of_our_network(
    platform, make_payee, receiver, dns: FakeDns, settings
) -> None:
    endpoint, _ = webhooks.endpoint_create(platform=platform, url=receiver.url)
    receiver.stop()
    attempt = _deliver_once(endpoint, platform, make_payee)
    assert (attempt.status_code, attempt.error) == (None, "connection failed")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="https://nxdomain.invalid/h")
    endpoint.refresh_from_db()
    attempt = _deliver_once(endpoint, platform, make_payee)
    assert (attempt.status_code, attempt.error) == (None, "the host name could not be resolved")
    settings.PRODUCTION = True
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://hooks.example.com/h")
    endpoint.refresh_from_db()
    attempt = _deliver_once(endpoint, platform, make_payee)
    assert (attempt.status_code, attempt.error) == (None, "the destination must use https")
