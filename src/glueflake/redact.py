"""Scrubbing resolved secrets out of every message shown to people, in any form.

A secret can reach a message raw, but also transformed on its way: url-encoded in a
query string, escaped inside a Python ``bytes`` repr (``Illegal header value
b'...'``) or a JSON string, or base64-encoded with the user name in a basic
``Authorization`` header. `Redactor` replaces each of those forms.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from glueflake.config import PipelineConfig

REDACTED = "REDACTED"


def secret_forms(value: str) -> set[str]:
    """The spellings of `value` that may appear in a message (raw, encoded, escaped)."""
    if not value:
        return set()
    raw = value.encode("utf-8", "surrogateescape")
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        quote(value),
        repr(raw)[2:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        base64.b64encode(raw).decode("ascii"),
    }
    return {form for form in forms if form}


def basic_forms(username: str, password: str) -> set[str]:
    """The base64 ``user:password`` of a basic ``Authorization`` header, and the rest."""
    if not password:
        return set()
    pair = f"{username}:{password}".encode("utf-8", "surrogateescape")
    return secret_forms(password) | {base64.b64encode(pair).decode("ascii")}


class Redactor:
    """Replaces every known secret, in every form, by ``REDACTED``."""

    def __init__(self, values: Iterable[str] = (), *, forms: Iterable[str] = ()) -> None:
        """Redact `values` (each in all its forms) and `forms` (exact spellings)."""
        found: set[str] = set(forms)
        for value in values:
            found |= secret_forms(value)
        # Longest first, so a form containing another is replaced whole.
        self.forms = sorted((f for f in found if f), key=len, reverse=True)

    def __bool__(self) -> bool:
        """Whether there is anything to redact."""
        return bool(self.forms)

    def text(self, text: str) -> str:
        """`text` with every secret form replaced."""
        for form in self.forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text


def config_redactor(config: PipelineConfig) -> Redactor:
    """A redactor for every secret a configuration resolved (sources, warehouse, set-up, notify)."""
    from pydantic import BaseModel, SecretStr

    from glueflake.config import BasicAuth

    # Every SecretStr of every section that holds one, whatever its kind: the sources'
    # auth, the warehouse, the admin set-up and the webhook; basic auth also as sent.
    sections: list[BaseModel | None] = [s.auth for s in config.sources.values()]
    sections += [config.warehouse, config.setup, config.notify]
    forms: set[str] = set()
    for section in sections:
        for name in type(section).model_fields if section is not None else ():
            secret = getattr(section, name)
            if isinstance(secret, SecretStr):
                forms |= secret_forms(secret.get_secret_value())
        if isinstance(section, BasicAuth):
            forms |= basic_forms(section.username, section.password.get_secret_value())
    return Redactor(forms=forms)
