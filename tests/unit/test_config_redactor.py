"""The CLI's redactor knows every secret a configuration resolved, in every section."""

from __future__ import annotations

import base64
from pathlib import Path

from glueflake.config import load_config
from glueflake.redact import config_redactor

CONFIG = """
version: 1
warehouse:
  type: snowflake
  account: myorg-myaccount
  user: GLUEFLAKE_LOADER_USER
  password: ${WH_PASSWORD}
setup:
  user: ADMIN
  password: ${ADMIN_PASSWORD}
notify:
  webhook: ${HOOK_URL}
sources:
  api:
    base_url: https://api.example.com
    auth: {type: basic, username: ada, password: "${API_PASSWORD}"}
    endpoints:
      things: {path: /things, primary_key: id}
"""


def test_every_section_s_secrets_are_redacted(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(CONFIG, encoding="utf-8")
    env = {
        "WH_PASSWORD": "wh-s3cret",
        "ADMIN_PASSWORD": "admin-s3cret",
        "HOOK_URL": "https://hooks.example.com/T0/B0/xyz",
        "API_PASSWORD": "api-s3cret",
    }
    redactor = config_redactor(load_config(path, environ=env))
    basic = base64.b64encode(b"ada:api-s3cret").decode()
    text = redactor.text(" ".join([*env.values(), basic]))
    for secret in [*env.values(), basic]:
        assert secret not in text
