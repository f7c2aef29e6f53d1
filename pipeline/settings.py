"""Settings: flags, then environment, then ``bisum.toml`` or ``[tool.bisum]``, then defaults.

Resolved once per command by ``load_settings``; nothing is read at import time. The API
key is held as a ``SecretStr`` so that it never appears in a repr, a log or a cache row.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from pipeline.errors import ConfigError

ENV_PREFIX = "BISUM_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = "gpt-4.1-mini"
    base_url: str | None = None
    api_key: SecretStr | None = None
    script: Literal["zh-Hans", "zh-Hant"] = "zh-Hans"
    encoding: str | None = Field(None, description="tiktoken encoding; default: by model")
    chunk_tokens: int = Field(2000, ge=200, le=32000)
    reduce_tokens: int = Field(6000, ge=500, le=100000, description="reduce input budget")
    map_max_tokens: int = Field(900, ge=64)
    reduce_max_tokens: int = Field(1800, ge=128)
    temperature: float = Field(0.0, ge=0, le=2)
    seed: int | None = 7
    concurrency: int = Field(8, ge=1, le=512)
    rpm: int | None = Field(None, ge=1)
    tpm: int | None = Field(None, ge=1)
    timeout: float = Field(120.0, gt=0)
    max_attempts: int = Field(6, ge=1, le=20)
    max_retry_wait: float = Field(120.0, ge=0)
    max_cost: float | None = Field(None, ge=0)
    outputs: Path = Path("outputs")
    state_dir: Path = Path(".bisum")
    prompts: Path = Path("prompts")
    glossary: Path = Path("glossary.yaml")

    @property
    def encoding_name(self) -> str:
        from pipeline.encodings import encoding_name_for_model

        return self.encoding or encoding_name_for_model(self.model)

    def public(self) -> dict[str, Any]:
        """The settings a log may show: the key is reduced to whether it is set."""
        data = self.model_dump(mode="json", exclude={"api_key"})
        data["api_key"] = "set" if self.api_key else "not set"
        return data


FIELDS = tuple(Settings.model_fields)


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, FIELDS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _from_file(root: Path) -> tuple[dict[str, Any], str | None]:
    path = root / "bisum.toml"
    try:
        if path.is_file():
            return tomllib.loads(path.read_text("utf-8")), str(path)
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            table = tomllib.loads(pyproject.read_text("utf-8")).get("tool", {}).get("bisum")
            if table is not None:
                return table, f"{pyproject} [tool.bisum]"
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot parse {path}: {exc}") from exc
    return {}, None


def _from_env(env: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if env.get("OPENAI_API_KEY"):
        values["api_key"] = env["OPENAI_API_KEY"]
    if env.get("OPENAI_BASE_URL"):
        values["base_url"] = env["OPENAI_BASE_URL"]
    for key, value in env.items():
        if key.startswith(ENV_PREFIX) and value != "":
            name = key[len(ENV_PREFIX) :].lower()
            if name not in FIELDS or name == "api_key":
                raise ConfigError(f"unknown setting in environment: {key}{_suggest(name)}")
            values[name] = value
    return values


def load_settings(
    flags: dict[str, Any] | None = None,
    *,
    root: Path | None = None,
    env: dict[str, str] | None = None,
) -> Settings:
    """Merge the layers, highest first: flags, environment, config file, defaults."""
    root = root or Path.cwd()
    file_values, origin = _from_file(root)
    file_values = {k.replace("-", "_"): v for k, v in file_values.items()}
    for name in file_values:
        if name not in FIELDS or name == "api_key":
            where = origin or "config"
            hint = " (keys belong in OPENAI_API_KEY)" if name == "api_key" else _suggest(name)
            raise ConfigError(f"unknown setting {name!r} in {where}{hint}")
    merged = {**file_values, **_from_env(dict(os.environ) if env is None else env)}
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        shown = "<hidden>" if field == "api_key" else repr(first.get("input"))
        raise ConfigError(f"invalid setting {field}={shown}: {first['msg']}") from None
    # relative paths are relative to the project root, not to wherever bisum runs from
    paths = {
        name: root / getattr(settings, name)
        for name in ("outputs", "state_dir", "prompts", "glossary")
        if not getattr(settings, name).is_absolute()
    }
    return settings.model_copy(update=paths)
