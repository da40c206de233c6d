"""The action server: rasa-sdk's Sanic app, answering only Rasa.

rasa-sdk 3.6 checks no credentials itself, so whoever reaches its port could run any action
with a made-up tracker (e.g. read an order without proving to own it). Rasa sends the token of
`action_endpoint` in endpoints.yml as the `token` query parameter of every call; this entry
point refuses every request without it, except `/health`.

Run as `python -m actions.server --actions actions --port 5055` (rasa-sdk's own arguments);
the token comes from ACTION_SERVER_TOKEN, else from the state folder (bot/settings.py), the
same place `bot.training.rasa_env` takes it from for Rasa.
"""
from __future__ import annotations

import hmac
import logging
import os
from typing import Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

TOKEN_PARAMETER = "token"  # rasa.utils.endpoints.EndpointConfig's default token_name
OPEN_PATHS = {"/health"}  # for health checks (bot/processes.py, the bridge's recovery)

log = logging.getLogger(__name__)


def require_token(app: Sanic, token: str) -> None:
    """Every request but OPEN_PATHS needs `?token=<token>`; others get 401 and run nothing."""
    if not token:
        raise ValueError("the action server needs a token")
    expected = token.encode()

    @app.middleware("request")
    async def check_token(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        given = (request.args.get(TOKEN_PARAMETER) or "").encode()
        if hmac.compare_digest(given, expected):
            return None
        log.warning("Refused %s %s from %s: %s token", request.method, request.path, request.ip,
                    "wrong" if given else "no")
        return response.json({"error": "unauthorized",
                              "message": "Eylem sunucusu yalnızca Rasa'ya yanıt verir: geçerli token gerekli. / "
                                         "The action server answers Rasa only: a valid token is required."},
                             status=401)


def action_token() -> str:
    from bot.settings import get_settings

    return os.environ.get("ACTION_SERVER_TOKEN") or get_settings().action_token()


def main() -> None:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    args = create_argument_parser().parse_args()
    # As rasa-sdk's own `python -m rasa_sdk` (rasa_sdk/__main__.py and endpoint.run), plus the check.
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    require_token(app, action_token())
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", "0.0.0.0")
    log.info("Action server (calls need Rasa's token) on %s://%s:%s", "https" if ssl else "http", host, args.port)
    app.run(host, args.port, ssl=ssl, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
