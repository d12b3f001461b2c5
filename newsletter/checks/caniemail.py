"""The caniemail.com data set (MIT licensed), shipped as data/caniemail.json: see
scripts/refresh-caniemail and docs/check.md. Each feature's results are one string, a field per
client in the order of the file's "clients" ('|' between them): parsed once per process, about 1 ms."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "caniemail.json"


@lru_cache(maxsize=1)
def dataset() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw["by_slug"] = {f["slug"]: f for f in raw["data"]}
    return raw


def client_name(target: str) -> str:
    names = dataset()["nicenames"]
    family, _, platform = target.partition(".")
    fam, plat = names["family"].get(family, family), names["platform"].get(platform, platform)
    return plat if plat.startswith(fam) else f"{fam} {plat}"


@lru_cache(maxsize=1)
def known_clients() -> frozenset[str]:
    return frozenset(dataset()["clients"])


@lru_cache(maxsize=1)
def _columns() -> dict[str, int]:
    return {target: i for i, target in enumerate(dataset()["clients"])}


@lru_cache(maxsize=512)
def _results(slug: str) -> tuple[str, ...]:
    """A feature's newest result per client, in the order of the file's "clients"."""
    return tuple(dataset()["by_slug"][slug]["support"].split("|"))


def support(feature: dict[str, Any], target: str) -> tuple[str, list[str]]:
    """('y'|'a'|'n'|'u', note numbers) for the newest test of one client."""
    column = _columns().get(target)
    value = _results(feature["slug"])[column] if column is not None else ""
    if not value:
        return "u", []
    parts = value.split()
    return parts[0], [p.lstrip("#") for p in parts[1:] if p.startswith("#")]
