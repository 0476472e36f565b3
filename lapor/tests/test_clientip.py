"""The client's address: X-Forwarded-For is believed only from the configured trusted proxies."""

from django.test import RequestFactory

from lapor.clientip import client_ip


def ip(remote_addr, forwarded=None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_the_peer_is_the_client(settings):
    settings.LAPOR_TRUSTED_PROXIES = []
    assert ip("203.0.113.7") == "203.0.113.7"
    assert ip("203.0.113.7", "198.51.100.1") == "203.0.113.7"  # anyone can write the header


def test_a_trusted_proxy_vouches_for_the_address_it_saw(settings):
    settings.LAPOR_TRUSTED_PROXIES = ["127.0.0.1"]
    assert ip("127.0.0.1", "198.51.100.23") == "198.51.100.23"
    assert ip("127.0.0.1") == "127.0.0.1"  # the proxy itself, when it sends nothing


def test_a_forged_header_from_an_untrusted_peer_is_ignored(settings):
    settings.LAPOR_TRUSTED_PROXIES = ["127.0.0.1"]
    assert ip("203.0.113.7", "127.0.0.1, 10.9.9.9") == "203.0.113.7"


def test_a_client_cannot_prepend_a_fake_address(settings):
    # nginx appends what it saw ($proxy_add_x_forwarded_for): everything left of it is the client's own text.
    settings.LAPOR_TRUSTED_PROXIES = ["127.0.0.1"]
    assert ip("127.0.0.1", "1.2.3.4, 198.51.100.23") == "198.51.100.23"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.LAPOR_TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    assert ip("127.0.0.1", "6.6.6.6, 198.51.100.23, 10.1.2.3") == "198.51.100.23"
    assert ip("127.0.0.1", "10.0.0.5, 10.1.2.3") == "10.0.0.5"  # all trusted: the farthest hop


def test_garbage_stops_the_walk_at_the_last_vouched_hop(settings):
    settings.LAPOR_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert ip("127.0.0.1", "198.51.100.23, unknown, 10.1.2.3") == "10.1.2.3"
    assert ip("127.0.0.1", "not-an-address") == "127.0.0.1"


def test_ipv6_ports_and_mapped_addresses(settings):
    settings.LAPOR_TRUSTED_PROXIES = ["::1"]
    assert ip("::1", "2001:db8::7") == "2001:db8::7"
    assert ip("::1", "[2001:db8::7]:443") == "2001:db8::7"
    assert ip("::ffff:203.0.113.7") == "203.0.113.7"
    assert ip("::1", "203.0.113.7:51234") == "203.0.113.7"


def test_a_wrong_trusted_proxy_stops_start_up():
    from lapor.tests.test_settings import _start

    result = _start(LAPOR_TRUSTED_PROXIES="127.0.0.1,nginx")
    assert result.returncode != 0
    assert "LAPOR_TRUSTED_PROXIES" in result.stderr and "'nginx'" in result.stderr
    assert _start(LAPOR_TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8").returncode == 0
