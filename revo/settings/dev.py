from revo.settings.base import *  # noqa: F403
from revo.settings.env import env_bool, env_int, env_str

DEBUG = env_bool("DEBUG", True)

# Links in development emails (unsubscribe) point at the development server.
MAIL_LINK_SCHEME = env_str("MAIL_LINK_SCHEME", "http")
MAIL_LINK_PORT = env_int("MAIL_LINK_PORT", 8000)
