"""Kizuna (絆): reconnect with people you lost touch with, through your own mailbox."""

__version__ = "0.1.0"
__all__ = ["__version__"]
