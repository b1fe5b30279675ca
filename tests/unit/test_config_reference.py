"""The config reference: docs/config.md is generated from the models and current,
`glueflake config schema` validates real configs, and an unquoted ${VAR} in a flow
mapping fails with a hint to quote it (issue 17).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, TypeAdapter
from typer.testing import CliRunner

from glueflake import config as cfg
from glueflake.cli import app
from glueflake.config import ConfigError, load_config
from glueflake.config_reference import EXAMPLES, SECTIONS, description, json_schema, render_markdown

ROOT = Path(__file__).resolve().parents[2]
MODELS = [model for _, models in SECTIONS for model in models]


def test_docs_config_md_is_current() -> None:
    assert (ROOT / "docs/config.md").read_text() == render_markdown(), (
        "docs/config.md is stale: run `glueflake config reference > docs/config.md`"
    )


def test_every_model_and_field_is_in_the_reference_with_a_description() -> None:
    def reachable(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
        seen.add(model)
        for info in model.model_fields.values():
            for sub in _models_in(info.annotation):
                if sub not in seen:
                    reachable(sub, seen)

    seen: set[type[BaseModel]] = set()
    reachable(cfg.PipelineConfig, seen)
    assert seen <= set(MODELS), f"not in the reference: {seen - set(MODELS)}"
    missing = [
        f"{m.__name__}.{name}"
        for m in MODELS
        for name, info in m.model_fields.items()
        if name != "base_dir" and not description(m, name, info)
    ]
    assert missing == [], "add Field(description=...) or a NOTES entry in config_reference.py"


def _models_in(annotation: object) -> list[type[BaseModel]]:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, cfg.WarehouseSettings):
        return list(cfg.WAREHOUSE_MODELS.values())  # the registered kinds, by `type`
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_each_pagination_auth_and_notify_example_is_valid(kind: str) -> None:
    key, value = next(iter(yaml.safe_load(EXAMPLES[kind]).items()))
    adapters = {"pagination": cfg.Pagination, "auth": cfg.Auth, "notify": cfg.Notify}
    adapter: TypeAdapter[Any] = TypeAdapter(adapters[key])
    assert type(adapter.validate_python(value)).__name__ == kind


def test_config_schema_command_prints_a_schema_the_shipped_configs_satisfy() -> None:
    result = CliRunner().invoke(app, ["config", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in [ROOT / "pipeline.yml", *sorted((ROOT / "examples").glob("*.yml"))]:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    bad = {"version": 1, "sources": {"s": {"base_url": "http://x", "endpoints": {}, "oops": 1}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    endpoint = schema["$defs"]["Endpoint"]["properties"]
    assert endpoint["primary_key"]["description"].startswith("Field (or fields)")


def test_config_reference_command_prints_the_markdown() -> None:
    result = CliRunner().invoke(app, ["config", "reference"])
    assert result.exit_code == 0
    assert result.stdout == render_markdown()


def test_an_unquoted_variable_in_a_flow_mapping_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yml"
    path.write_text(
        "version: 1\nsources:\n  shop:\n    base_url: http://x\n"
        "    auth: {type: bearer, token: ${TOKEN}}\n"
        "    endpoints:\n      a: {path: /a, primary_key: id}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, {"TOKEN": "t"})
    assert 'hint: line 5: quote ${TOKEN} inside {...} or [...]: "${TOKEN}"' in str(caught.value)
    path.write_text(path.read_text().replace("${TOKEN}", '"${TOKEN}"'))
    assert load_config(path, {"TOKEN": "t"}).sources["shop"].auth.type == "bearer"
