"""Safe targets, signatures and backoff — the pure parts; and the API refusing unsafe URLs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from engine.extensions import db
from engine.store.webhooks import WebhookSubscription
from webhooks import outbound, signing
from webhooks.targets import UnresolvableHost, UnsafeTarget, check_url

PUBLIC = "93.184.216.34"


def fake_dns(table):
    def resolve(host, port):
        if host not in table:
            raise UnresolvableHost(host)
        return table[host]
    return resolve


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/", "http://192.168.1.10/",
    "http://172.16.0.5/", "http://127.0.0.1:8080/", "http://[::1]/", "http://0.0.0.0/", "http://224.0.0.1/",
    "http://100.64.0.1/", "http://[fe80::1]/", "http://[::ffff:10.0.0.1]/", "http://240.0.0.1/",
])
def test_private_loopback_link_local_multicast_and_reserved_addresses_are_refused(url):
    with pytest.raises(UnsafeTarget):
        check_url(url, resolve=fake_dns({}))


@pytest.mark.parametrize("url", ["ftp://example.org/", "file:///etc/passwd", "gopher://x/", "http://user:pw@example.org/",
                                 "http:///nohost", "not a url", "http://example.org:99999/"])
def test_only_plain_http_and_https_urls(url):
    with pytest.raises(UnsafeTarget):
        check_url(url, resolve=fake_dns({"example.org": [PUBLIC]}))


def test_a_name_is_refused_if_any_of_its_addresses_is_private():
    with pytest.raises(UnsafeTarget, match="10.1.2.3"):
        check_url("https://intern.example.org/", resolve=fake_dns({"intern.example.org": [PUBLIC, "10.1.2.3"]}))
    target = check_url("https://mottak.example.org:8443/x?y=1", resolve=fake_dns({"mottak.example.org": [PUBLIC]}))
    assert target.pinned_url() == f"https://{PUBLIC}:8443/x?y=1" and target.host == "mottak.example.org"


def test_loopback_only_when_allowed():
    assert check_url("http://127.0.0.1:9/", allow_loopback=True).address == "127.0.0.1"
    with pytest.raises(UnsafeTarget):
        check_url("http://10.0.0.1/", allow_loopback=True)


def test_api_refuses_an_unsafe_url_and_stores_nothing(api, users, ctx):
    ctx.config["WEBHOOK_ALLOW_LOOPBACK"] = False
    for url in ("http://10.0.0.1/hook", "http://169.254.169.254/", "http://127.0.0.1:8000/", "ftp://x.example/"):
        r = api("admin").post("/api/v1/webhooks/subscriptions", json={"url": url, "event_types": ["case.opened"]})
        assert r.status_code == 422 and "url" in r.json["details"], (url, r.json)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookSubscription)) == 0


def test_the_connection_goes_to_the_checked_address_with_the_name_in_host_and_sni():
    seen = {}
    served = []

    class Endless(httpx.SyncByteStream):
        def __iter__(self):
            while True:                       # a hostile receiver that never stops talking
                served.append(4096)
                yield b"x" * 4096

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(url=str(request.url), host=request.headers["host"], sni=request.extensions.get("sni_hostname"))
        return httpx.Response(200, stream=Endless())
    client = httpx.Client(transport=httpx.MockTransport(handler))
    target = check_url("https://mottak.example.org/hook", resolve=fake_dns({"mottak.example.org": [PUBLIC]}))
    secret = signing.generate_secret()
    at = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    attempt = outbound.send(client, target, secret, "msg_1", at, '{"a":1}')
    assert attempt.outcome == outbound.DELIVERED and attempt.status == 200
    assert sum(served) <= 64 * 1024 + 4096            # read at most 64 KiB of the answer
    assert seen == {"url": f"https://{PUBLIC}/hook", "host": "mottak.example.org", "sni": "mottak.example.org"}


def test_signatures_round_trip_with_the_standard_library(clock_at):
    clock_at(2026, 3, 1, 9)
    secret = signing.generate_secret()
    at = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
    headers = signing.sign_headers(secret, "msg_x", at, '{"type":"case.opened"}')
    assert Webhook(secret).verify('{"type":"case.opened"}', headers) == {"type": "case.opened"}
    assert signing.verify(secret, headers, b'{"type":"case.opened"}', at + timedelta(minutes=4)) == "msg_x"
    with pytest.raises(signing.SignatureError):
        signing.verify(secret, headers, b'{"type":"case.opened"}', at + timedelta(minutes=6))
    with pytest.raises(signing.SignatureError):
        signing.verify(signing.generate_secret(), headers, b'{"type":"case.opened"}', at)
    with pytest.raises(ValueError):
        signing.check_secret("hemmelig")


def test_backoff_doubles_with_jitter_and_is_capped():
    assert outbound.backoff(1, 10, 3600, rand=lambda: 0.5) == timedelta(seconds=10)
    assert outbound.backoff(4, 10, 3600, rand=lambda: 0.5) == timedelta(seconds=80)
    assert outbound.backoff(4, 10, 3600, rand=lambda: 0.0) == timedelta(seconds=64)
    assert outbound.backoff(4, 10, 3600, rand=lambda: 1.0) == timedelta(seconds=96)
    assert outbound.backoff(30, 10, 3600, rand=lambda: 0.5) == timedelta(seconds=3600)


@pytest.mark.parametrize("status,outcome", [(200, "delivered"), (204, "delivered"), (301, "dead"), (400, "dead"),
                                            (401, "dead"), (404, "dead"), (408, "retry"), (429, "retry"),
                                            (500, "retry"), (503, "retry"), (None, "retry")])
def test_what_a_response_means(status, outcome):
    assert outbound.classify(status) == outcome
