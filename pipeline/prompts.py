"""Versioned prompt files: ``prompts/<name>/v<N>.yaml``, loaded, checked and rendered.

A prompt is data: its system and user templates (``string.Template``, ``$name``), the
variables it takes, which of them are untrusted *data* (document text, notes), and the
schema its answer must follow. Data values are fenced by the template and any fence marks
inside them are broken up, so a document cannot close its own fence.

Released versions are immutable. ``prompts/prompts.lock`` records the content hash of
every released version; a file whose content no longer matches is refused with a message
that says to save the change as a new version. A new version is released (recorded) the
first time a run uses it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.errors import PromptError
from pipeline.yamlfile import YAMLError, load_yaml

STAGES = ("map", "collapse", "reduce", "reask", "output_format")
LOCK_NAME = "prompts.lock"
_VERSION_FILE = re.compile(r"^v(\d+)\.ya?ml$")
_FENCE = re.compile(r"<{3,}|>{3,}")


class _PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int
    description: str
    output: str | None = None
    variables: dict[str, str]  # name -> "data" | "text"
    system: str
    user: str


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    output: str | None
    variables: dict[str, str]
    system: str
    user: str
    path: Path
    sha256: str

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}#{self.sha256[:12]}"

    def render(self, **values: Any) -> list[dict[str, str]]:
        """The chat messages for these values; every declared variable must be given."""
        missing = sorted(set(self.variables) - set(values))
        extra = sorted(set(values) - set(self.variables))
        if missing or extra:
            raise PromptError(
                f"{self.ref}: missing variables: {', '.join(missing) or '-'}; "
                f"unexpected: {', '.join(extra) or '-'}"
            )
        safe = {
            key: _FENCE.sub(lambda m: " ".join(m.group(0)), str(value))
            if self.variables[key] == "data"
            else str(value)
            for key, value in values.items()
        }
        messages = []
        for role, template in (("system", self.system), ("user", self.user)):
            # names were checked against ``variables`` at load; literal dollars ("$500
            # billion") are not placeholders and stay as they are
            text = Template(template).safe_substitute(safe).strip()
            if text:
                messages.append({"role": role, "content": text})
        return messages


def _content_hash(spec: _PromptFile) -> str:
    canonical = json.dumps(spec.model_dump(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _template_names(template: str) -> set[str]:
    return {
        m.group("named") or m.group("braced")
        for m in Template.pattern.finditer(template)
        if m.group("named") or m.group("braced")
    }


def _load_file(path: Path, name: str, version: int) -> Prompt:
    try:
        raw = load_yaml(path.read_text("utf-8"))
        spec = _PromptFile.model_validate(raw)
    except (OSError, YAMLError) as exc:
        raise PromptError(f"cannot read {path}: {exc}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "file"
        raise PromptError(f"{path}: {where}: {err['msg']}") from None
    if spec.name != name or spec.version != version:
        raise PromptError(
            f"{path} says name={spec.name!r} version={spec.version}; "
            f"its path says name={name!r} version={version}"
        )
    bad_kinds = {k: v for k, v in spec.variables.items() if v not in ("data", "text")}
    if bad_kinds:
        raise PromptError(f"{path}: variable kinds must be 'data' or 'text', got {bad_kinds}")
    used = _template_names(spec.system) | _template_names(spec.user)
    if used != set(spec.variables):
        raise PromptError(
            f"{path}: templates use {sorted(used)} but variables declares {sorted(spec.variables)}"
        )
    return Prompt(
        name=spec.name,
        version=spec.version,
        output=spec.output,
        variables=dict(spec.variables),
        system=spec.system,
        user=spec.user,
        path=path,
        sha256=_content_hash(spec),
    )


def versions(directory: Path, name: str) -> dict[int, Path]:
    folder = directory / name
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = _VERSION_FILE.match(path.name)
        if match:
            found[int(match.group(1))] = path
    return found


def _read_lock(directory: Path) -> dict[str, dict[str, str]]:
    path = directory / LOCK_NAME
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise PromptError(f"{path} is not valid JSON: {exc}") from exc


def _write_lock(directory: Path, lock: dict[str, dict[str, str]]) -> None:
    from pipeline.files import write_text_atomic

    ordered = {
        name: dict(sorted(entries.items(), key=lambda kv: int(kv[0])))
        for name, entries in sorted(lock.items())
    }
    write_text_atomic(directory / LOCK_NAME, json.dumps(ordered, indent=2) + "\n")


@dataclass(frozen=True)
class PromptSet:
    prompts: dict[str, Prompt]
    released_now: tuple[str, ...] = ()

    def __getitem__(self, stage: str) -> Prompt:
        return self.prompts[stage]

    def refs(self) -> dict[str, str]:
        return {stage: prompt.ref for stage, prompt in sorted(self.prompts.items())}


def load_prompts(
    directory: Path, pins: dict[str, int] | None = None, *, release: bool = False
) -> PromptSet:
    """Load the newest (or pinned) version of every stage's prompt and check the lock.

    With ``release=True`` versions not yet in the lock are recorded there.
    """
    if not directory.is_dir():
        raise PromptError(f"prompt folder {directory} does not exist")
    lock = _read_lock(directory)
    prompts: dict[str, Prompt] = {}
    for stage in STAGES:
        found = versions(directory, stage)
        if not found:
            raise PromptError(
                f"no prompt for stage {stage!r}: expected {directory / stage}/v1.yaml"
            )
        version = (pins or {}).get(stage) or max(found)
        if version not in found:
            raise PromptError(
                f"prompt {stage} v{version} does not exist; available: "
                + ", ".join(f"v{v}" for v in sorted(found))
            )
        prompts[stage] = _load_file(found[version], stage, version)
    # every released version on disk must still match its recorded hash, used or not
    for stage in STAGES:
        for version, path in versions(directory, stage).items():
            recorded = lock.get(stage, {}).get(str(version))
            if recorded is None:
                continue
            actual = (
                prompts[stage].sha256
                if prompts[stage].version == version
                else _load_file(path, stage, version).sha256
            )
            if actual != recorded:
                raise PromptError(
                    f"{path} was changed after v{version} was released (recorded hash "
                    f"{recorded[:12]}, now {actual[:12]}). Released prompts are immutable: "
                    f"restore it and save the change as "
                    f"{path.with_name(f'v{max(versions(directory, stage)) + 1}.yaml')}"
                )
    new = [p for p in prompts.values() if str(p.version) not in lock.get(p.name, {})]
    if release and new:
        for prompt in new:
            lock.setdefault(prompt.name, {})[str(prompt.version)] = prompt.sha256
        _write_lock(directory, lock)
    return PromptSet(prompts, tuple(p.ref for p in new) if release else ())
