"""The four agents. Importing this package registers them by name (``AgentsConfig.ready``)."""

from revo.agents.agents import finance, negotiation, sales, sdr

__all__ = ["finance", "negotiation", "sales", "sdr"]
