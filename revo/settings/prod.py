"""Production: refuses to start without real secrets and services."""

import os

from revo.settings.base import *  # noqa: F403
from revo.settings.env import ConfigError, env_bool

DEBUG = False

for _required in ("SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"):
    if not os.environ.get(_required):
        raise ConfigError(f"{_required} must be set in production")
if JWT_SIGNING_KEY == SECRET_KEY:  # noqa: F405
    raise ConfigError("JWT_SIGNING_KEY must differ from SECRET_KEY")
if len(JWT_SIGNING_KEY) < 32:  # noqa: F405
    raise ConfigError("JWT_SIGNING_KEY must be at least 32 characters")
if len(SECRET_KEY) < 32:  # noqa: F405
    raise ConfigError("SECRET_KEY must be at least 32 characters")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# Production sends through SMTP unless the sandbox is asked for explicitly.
MAIL_SANDBOX = env_bool("MAIL_SANDBOX", False)
