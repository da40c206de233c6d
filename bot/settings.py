"""One settings object, read from the environment (documented in README.md, "Configuration")."""
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Dict, List

from pydantic import BaseSettings, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    state_dir: Path = PROJECT_ROOT / "state"
    database_url: str = ""
    host: str = Field("127.0.0.1", env="BIND_HOST")
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_token: str = ""
    action_server_token: str = ""  # Rasa's shared secret with the action server; generated into the state folder if unset
    startup_timeout: float = 300.0
    # Several Rasa replicas (docs: README "Running on several machines"). `bot up` starts
    # `rasa_replicas` of them on RASA_PORT, RASA_PORT+1, ...; the bridge routes each conversation
    # to one of `rasa_urls` (comma-separated; empty: the one at RASA_PORT) by a consistent hash.
    rasa_replicas: int = Field(1, ge=1)
    rasa_urls: str = ""
    # Overload: at most this many turns in flight to one Rasa replica; the rest wait in the bridge,
    # and a shopper who waits longer than `rasa_busy_notice_seconds` is told "one moment".
    rasa_max_in_flight: int = Field(4, ge=1)
    rasa_busy_notice_seconds: float = Field(2.0, ge=0)
    # The bridge (bot/desk/): shoppers' and agents' Socket.IO server, console, widget.
    bridge_port: int = 8080
    # The action server's webhook when it is on another machine (else BIND_HOST:ACTION_PORT).
    action_webhook_url: str = Field("", env="ACTION_SERVER_URL")
    # Several bridges on one machine (`bot up --bridges N`, bot/balancer.py): HAProxy takes
    # BRIDGE_PORT and the bridges listen on BRIDGE_PORT+1 ... BRIDGE_PORT+N (`bridge_ports`).
    bridge_replicas: int = Field(1, ge=1, env="BRIDGES")
    desk_secret: str = ""          # signs agents' login tokens; generated into the state folder if unset
    support_hours: str = "mon-fri 09:00-22:00, sat-sun 10:00-18:00"  # Europe/Istanbul, the demo store's
    support_holidays: str = "tr"          # Turkish public holidays close support ("none": they do not)
    # Tickets (bot/tickets/): first-response/resolution targets in support hours, per category or source.
    ticket_sla: str = "complaint=8/48, after_hours=4/24, chat_followup=8/48, low_score=8/48, missed_promise=4/24, *=8/48"
    ticket_warn_hours: float = Field(2.0, ge=0)  # the owner is warned this long (support time) before a deadline
    # Customer segments (bot/desk/segments.py) and which of them move ahead in the live queue.
    vip_orders_12m: int = Field(5, ge=1)
    vip_spend_12m_tl: float = Field(10000.0, gt=0)
    queue_ahead_segments: str = "vip,open_ticket"  # comma-separated; empty: nobody goes ahead
    offer_timeout_seconds: float = 30.0   # an agent who does not accept in time: the next one
    agent_grace_seconds: float = 20.0     # a disconnected agent's chats wait this long before re-queueing
    max_message_chars: int = 1000
    messages_per_second: float = 2.0      # per session, with a burst of `message_burst`
    message_burst: int = 5
    connections_per_address: int = 20
    trust_proxy: bool = False             # take the client address from X-Forwarded-For
    redis_url: str = ""                   # Socket.IO manager for several bridges (python-socketio's AsyncRedisManager)
    login_token_hours: float = 12.0
    # Surveys and reports.
    contact_idle_minutes: float = 30.0    # a shopper back after this much silence starts a new contact
    nps_interval_days: int = 90           # NPS at most once per customer in this many days
    report_timezone: str = "Europe/Istanbul"  # days, weeks and months of the reports
    # Follow-up e-mails after delivery (bot/followup/), sent through SMTP; off while SMTP_HOST is unset.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Kuzey Market <destek@kuzeymarket.example>"
    public_url: str = ""                  # where links in e-mails point; the bridge's own address if unset
    followup_delay_days: int = 2          # days after delivery before the e-mail goes out
    followup_window_days: int = 14        # deliveries older than this get no e-mail
    followup_needs_consent: bool = True   # only to customers with marketing consent (İYS / Law 6563)
    followup_interval_minutes: float = Field(60.0, gt=0)  # how often the bridge runs the follow-up job
    # Personal data (bot/privacy/, docs/privacy.md): how long each kind is kept, in days.
    retention_transcript_days: int = Field(730, gt=0)   # conversations of verified customers
    retention_unverified_days: int = Field(180, gt=0)   # conversations nobody proved an order in
    retention_audit_days: int = Field(1095, gt=0)       # the audit log, and answered requests' identifiers
    retention_interval_hours: float = Field(24.0, gt=0)  # how often the bridge runs the retention job
    privacy_request_days: int = Field(30, gt=0)         # the legal deadline to answer a request (KVKK art. 13)

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
    def rasa_replica_urls(self) -> List[str]:
        """Every Rasa replica the bridge may route to, in a stable order."""
        urls = [url.strip().rstrip("/") for url in self.rasa_urls.split(",") if url.strip()]
        if urls:
            return urls
        return [f"http://{self.host}:{self.rasa_port + index}" for index in range(self.rasa_replicas)]

    @property
    def action_server_url(self) -> str:
        return self.action_webhook_url or f"http://{self.host}:{self.action_port}/webhook"

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

    @property
    def bridge_ports(self) -> List[int]:
        """Where `bot up` starts its bridges: BRIDGE_PORT for one; for several, the ports after it
        (BRIDGE_PORT itself is then the load balancer's)."""
        if self.bridge_replicas == 1:
            return [self.bridge_port]
        return [self.bridge_port + 1 + index for index in range(self.bridge_replicas)]

    @property
    def public_base_url(self) -> str:
        return (self.public_url or self.bridge_url).rstrip("/")

    def rasa_api_token(self) -> str:
        """RASA_TOKEN from the environment, else one generated once and kept in the state folder."""
        return self.rasa_token or self._state_secret("rasa_token")

    def action_token(self) -> str:
        """ACTION_SERVER_TOKEN from the environment, else one generated once and kept in the state folder."""
        return self.action_server_token or self._state_secret("action_server_token")

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
