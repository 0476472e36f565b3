"""Loaded by pytest before the settings are read (pytest.ini: ``-p lapor.pytest_plugin``).

The test client and the live server speak plain HTTP, so production mode's redirect to HTTPS is
off under pytest; the test of the production configuration starts its own process without this."""

import os

os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
