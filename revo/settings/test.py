import os

from revo.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Several test sessions may share the embedded servers (a developer's run beside CI, or
# parallel checkouts): each session gets its own test database and its own Redis key space.
_SESSION = os.environ.get("REVO_TEST_SESSION") or str(os.getpid())
REVO_TEST_SESSION = _SESSION
DATABASES["default"]["TEST"] = {"NAME": f"test_revo_{_SESSION}"}  # noqa: F405
# A Celery worker started by tests/workers.py works directly in the session's test database.
if os.environ.get("REVO_TEST_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["REVO_TEST_DATABASE_NAME"]  # noqa: F405
CELERY_BROKER_TRANSPORT_OPTIONS = {  # noqa: F405
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "global_keyprefix": f"test{_SESSION}:",
}
CACHES["default"]["KEY_PREFIX"] = f"test{_SESSION}"  # noqa: F405
MEDIA_ROOT = BASE_DIR / ".revo" / f"test-media-{_SESSION}"  # noqa: F405
