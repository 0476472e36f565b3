"""CSRF strings drawn with one read of the system's random source instead of 33 (issue #15).

Every rendered page masks the CSRF secret anew (Django's BREACH mitigation: `get_token` adds a fresh random
mask), and Django draws the mask with `get_random_string`: one `secrets.choice` per character, each a
`getrandom` system call through `SystemRandom` — 32 of them a page, ~0.1 ms of CPU on a loaded machine. The
same strings come from one `os.urandom` read: a byte below 248 (4 × 62), taken modulo 62, is each of the
62 allowed characters with the same probability (bytes from 248 up are dropped, never folded in), so the
mask (and a new cookie's secret, drawn the same way) is as random and as uniform as Django's.

Installed from accounts' AppConfig.ready(): `django.middleware.csrf._get_new_csrf_string` replaced.
"""

from __future__ import annotations

import os

from django.middleware import csrf

CHARS = csrf.CSRF_ALLOWED_CHARS
BOUND = 256 - 256 % len(CHARS)  # 248: the bytes below it fall evenly on the 62 characters


def new_csrf_string() -> str:
    """A CSRF secret or mask: CSRF_SECRET_LENGTH characters of CSRF_ALLOWED_CHARS, uniformly random."""
    length, base = csrf.CSRF_SECRET_LENGTH, len(CHARS)
    picked = ""
    while len(picked) < length:  # 40 bytes give fewer than 32 characters once in ~10^7 draws
        picked += "".join([CHARS[b % base] for b in os.urandom(length + 8) if b < BOUND])
    return picked[:length]


def install() -> None:
    csrf._get_new_csrf_string = new_csrf_string
