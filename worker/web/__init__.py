"""The local API and dashboard page served while ``kizuna run`` runs (loopback only).

With a loaded ``config``::

    from worker.web import WebService, dashboard_url
    service = WebService(config, lambda: Kizuna(config))
    service.start()
    dashboard_url(config)  # 'http://127.0.0.1:8765/login?token=...'
"""

from __future__ import annotations

from worker.web.app import create_app
from worker.web.auth import dashboard_url, load_or_create_token
from worker.web.server import WebService

__all__ = ["WebService", "create_app", "dashboard_url", "load_or_create_token"]
