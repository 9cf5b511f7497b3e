"""Django admin as the review dashboard: the review queue, each artifact's review page,
bulk decisions and the tenant's review settings."""

from revo.reviews.admin.queue import ReviewItemAdmin
from revo.reviews.admin.settings import ReviewSettingsAdmin

__all__ = ["ReviewItemAdmin", "ReviewSettingsAdmin"]
