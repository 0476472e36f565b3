"""#21 item 15: the e-mail verification link is signed, single-use, and reveals neither the user id nor
the address."""

import zlib

from django.core import signing
from django.urls import reverse

from accounts import verification


def _payload(token: str) -> bytes:
    """What anyone holding the link can read without the secret key."""
    data = token.split(":")[0]
    raw = signing.b64_decode(data.lstrip(".").encode())
    return zlib.decompress(raw) if data.startswith(".") else raw


def test_the_link_works_once(client, citizen):
    url = reverse("accounts:verify_email", args=[verification.make_token(citizen)])
    assert client.get(url).status_code == 302
    citizen.refresh_from_db()
    assert citizen.email_verified and citizen.email_token == ""
    again = client.get(url)
    assert again.status_code == 400 and "sudah dipakai" in again.content.decode()


def test_the_link_reveals_neither_the_user_id_nor_the_address(citizen):
    token = verification.make_token(citizen)
    readable = _payload(token)
    assert b'"n"' in readable  # the decoding worked: a random nonce and a keyed hash
    assert citizen.email.encode() not in readable and b"warga" not in readable
    assert f'"u":{citizen.pk}'.encode() not in readable and f'"u": {citizen.pk}'.encode() not in readable


def test_only_the_newest_link_works(client, citizen):
    first = verification.make_token(citizen)
    second = verification.make_token(citizen)
    assert client.get(reverse("accounts:verify_email", args=[first])).status_code == 400
    assert client.get(reverse("accounts:verify_email", args=[second])).status_code == 302


def test_a_forged_payload_is_refused(client, citizen):
    verification.make_token(citizen)
    forged = signing.dumps({"n": citizen.email_token, "h": "0" * 20}, salt=verification.SALT, compress=True)
    assert client.get(reverse("accounts:verify_email", args=[forged])).status_code == 400
    unsigned = verification.make_token(citizen).rsplit(":", 1)[0] + ":AAAA"
    assert client.get(reverse("accounts:verify_email", args=[unsigned])).status_code == 400
