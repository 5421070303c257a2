"""Installed as ``worker.defaults.templates``: the Jinja2 draft templates (see worker/compose.py)."""
