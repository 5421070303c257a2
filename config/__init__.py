"""Installed as the package ``worker.defaults``: the example config, the systemd unit and (in templates/) the draft templates, read at run time through importlib.resources."""
