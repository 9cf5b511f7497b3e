from revo.settings.base import *  # noqa: F403
from revo.settings.env import env_bool

DEBUG = env_bool("DEBUG", True)
