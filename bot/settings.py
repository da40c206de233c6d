"""One settings object, read from the environment (documented in README.md, "Configuration")."""
import secrets
from functools import lru_cache
from pathlib import Path

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

    def rasa_api_token(self) -> str:
        """RASA_TOKEN from the environment, else one generated once and kept in the state folder."""
        if self.rasa_token:
            return self.rasa_token
        token_file = self.state_dir / "rasa_token"
        if not token_file.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            token_file.write_text(secrets.token_urlsafe(32))
            token_file.chmod(0o600)
        return token_file.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
