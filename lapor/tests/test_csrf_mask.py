"""lapor/csrf_mask.py: Django's CSRF strings drawn with one read of the random source, as random and uniform."""

import os
from collections import Counter
from unittest import mock

from django.middleware import csrf
from django.test import RequestFactory

from lapor import csrf_mask


def test_django_draws_csrf_strings_with_it():
    assert csrf._get_new_csrf_string is csrf_mask.new_csrf_string
    request = RequestFactory().get("/")
    csrf.get_token(request)  # the cookie's secret
    with mock.patch.object(os, "urandom", wraps=os.urandom) as urandom:
        csrf.get_token(request)  # a page's token: the secret masked anew, one read of the random source
    assert urandom.call_count == 1


def test_each_string_is_a_csrf_secret_and_the_characters_are_uniform():
    draws = [csrf_mask.new_csrf_string() for _i in range(4000)]
    assert all(len(s) == csrf.CSRF_SECRET_LENGTH and set(s) <= set(csrf.CSRF_ALLOWED_CHARS) for s in draws)
    assert len(set(draws)) == len(draws)
    counts = Counter("".join(draws))  # 128,000 characters: ~2,065 each
    assert set(counts) == set(csrf.CSRF_ALLOWED_CHARS)
    expected = len(draws) * csrf.CSRF_SECRET_LENGTH / len(counts)
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    # Uniform: chi² with 61 degrees of freedom, mean 61, sd 11 (above 130: p < 1e-7). Bytes folded in without
    # the rejection (b % 62 for every byte) would make 8 characters 25 % likelier: chi² ≈ 840.
    assert chi2 < 130


def test_every_token_masks_the_same_secret_anew():
    request = RequestFactory().get("/")
    first = csrf.get_token(request)
    tokens = {csrf.get_token(request) for _i in range(20)} | {first}
    assert len(tokens) == 21
    secret = request.META["CSRF_COOKIE"]
    assert all(csrf._unmask_cipher_token(token) == secret for token in tokens)
    assert all(csrf._check_token_format(token) is None for token in tokens)
