"""The partner agreement: one current version, its text in each language of the UI."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import get_language

VERSION = "2026-11"
_DIR = Path(__file__).with_name("agreements")


def text(language: str | None = None) -> str:
    lang = (language or get_language() or "en")[:2]
    path = _DIR / f"{VERSION}.{lang}.txt"
    if not path.exists():
        path = _DIR / f"{VERSION}.en.txt"
    return path.read_text(encoding="utf-8")
