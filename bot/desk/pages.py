"""Static pages of the bridge (the storefront, the console, the dashboards)."""
from __future__ import annotations

from aiohttp import web

from bot.settings import PROJECT_ROOT

WIDGET_DIR = PROJECT_ROOT / "widget"


def page(relative: str):
    path = WIDGET_DIR / relative

    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return handler
