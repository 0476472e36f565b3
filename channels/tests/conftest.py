import pytest

from channels.fakes import FakeProvider
from lapor.celery import app as celery_app

WA_SECRET = "app-secret-for-tests"


@pytest.fixture(autouse=True)
def _eager_celery():
    """Run the channels' tasks in-process even when REDIS_URL is set (CI has a real broker, no worker)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def whatsapp(settings):
    """WhatsApp configured against a fake Cloud API on loopback."""
    with FakeProvider(token="wa-token") as fake:
        settings.LAPOR_WHATSAPP_API_URL = fake.url
        settings.LAPOR_WHATSAPP_TOKEN = "wa-token"
        settings.LAPOR_WHATSAPP_PHONE_NUMBER_ID = "PHONE-ID"
        settings.LAPOR_WHATSAPP_APP_SECRET = WA_SECRET
        settings.LAPOR_WHATSAPP_VERIFY_TOKEN = "verify-me"
        yield fake


@pytest.fixture
def sms_gateway(settings):
    """The hosted-gateway SMS adapter against a fake gateway on loopback."""
    with FakeProvider(token="sms-token") as fake:
        settings.LAPOR_SMS_BACKEND = "http"
        settings.LAPOR_SMS_HTTP_URL = f"{fake.url}/sms"
        settings.LAPOR_SMS_HTTP_TOKEN = "sms-token"
        yield fake


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the code queues after its commit (tasks are eager in tests), as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
