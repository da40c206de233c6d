"""One settings object, read from the environment (documented in README.md, "Configuration")."""
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Dict

from pydantic import BaseSettings, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    state_dir: Path = PROJECT_ROOT / "state"
    database_url: str = ""
    host: str = Field("127.0.0.1", env="BIND_HOST")
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_token: str = ""
    startup_timeout: float = 300.0
    # The bridge (bot/desk/): shoppers' and agents' Socket.IO server, console, widget.
    bridge_port: int = 8080
    desk_secret: str = ""          # signs agents' login tokens; generated into the state folder if unset
    support_hours: str = "mon-fri 09:00-22:00, sat-sun 10:00-18:00"  # Europe/Istanbul, the demo store's
    offer_timeout_seconds: float = 30.0   # an agent who does not accept in time: the next one
    agent_grace_seconds: float = 20.0     # a disconnected agent's chats wait this long before re-queueing
    max_message_chars: int = 1000
    messages_per_second: float = 2.0      # per session, with a burst of `message_burst`
    message_burst: int = 5
    connections_per_address: int = 20
    trust_proxy: bool = False             # take the client address from X-Forwarded-For
    redis_url: str = ""                   # Socket.IO manager for several bridges (python-socketio's AsyncRedisManager)
    login_token_hours: float = 12.0

    class Config:
        env_file = None

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{self.state_dir / 'kuzey.db'}"

    @property
    def store_database_url(self) -> str:
        return self.database_url or self.sqlite_url

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_server_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"

    def as_env(self) -> Dict[str, str]:
        """These settings as environment variables, for child processes (e.g. the bridge)."""
        env = {}
        for name, field in self.__fields__.items():
            value = getattr(self, name)
            if value not in ("", None):
                env_name = field.field_info.extra.get("env", name.upper())
                env[env_name] = str(value).lower() if isinstance(value, bool) else str(value)
        return env

    @property
    def bridge_url(self) -> str:
        return f"http://{self.host}:{self.bridge_port}"

    def rasa_api_token(self) -> str:
        """RASA_TOKEN from the environment, else one generated once and kept in the state folder."""
        return self.rasa_token or self._state_secret("rasa_token")

    def desk_signing_secret(self) -> str:
        """DESK_SECRET from the environment, else one generated once and kept in the state folder."""
        return self.desk_secret or self._state_secret("desk_secret")

    def _state_secret(self, name: str) -> str:
        secret_file = self.state_dir / name
        if not secret_file.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(secrets.token_urlsafe(32))
            secret_file.chmod(0o600)
        return secret_file.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
