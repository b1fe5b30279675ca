"""The text add-source writes: the config's source block, the dbt source, model and yml.

Every function here is pure (text in, text out), so what will be written can be
shown as a diff before anything is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from glueflake.scaffold.infer import Column, Inference

METADATA_COLUMNS = (
    ("_file_name", "Lake key of the file the kept version came from."),
    ("_file_row_number", "1-based line of the kept version in its file."),
    ("_file_last_modified", "Last-modified time of that file, UTC."),
    ("_run_id", "Extract run that wrote that file."),
    ("_loaded_at", "When the kept version was loaded into the warehouse, UTC."),
    ("_versions_seen", "How many landing rows carried the key (all versions)."),
    ("_last_loaded_at", "The latest load that carried the key (any version), UTC."),
)


@dataclass(frozen=True)
class Plan:
    """Everything decided about the new entity.

    Attributes:
        source: the source's name in the config.
        entity: the endpoint's entity name.
        config_block: the source's block for the config (as YAML data).
        inference: the columns inferred from the samples.
        primary_key: the JSON field of the key.
        cursor_field: the JSON field ordering versions (None: latest load wins).
        url: the probed URL, for the descriptions.
    """

    source: str
    entity: str
    config_block: dict[str, Any]
    inference: Inference
    primary_key: str
    cursor_field: str | None
    url: str

    @property
    def table(self) -> str:
        """The landing table's name (``<source>__<entity>``)."""
        return f"{self.source}__{self.entity}"

    @property
    def model(self) -> str:
        """The raw model's name."""
        return f"raw_{self.table}"

    def column(self, key: str) -> Column:
        """The column of JSON field `key`."""
        column = self.inference.column(key)
        assert column is not None, key
        return column


def insert_source(config_text: str, name: str, block: dict[str, Any]) -> str:
    """`config_text` with source `name` added at the end of its ``sources:`` mapping.

    Comments and layout of the rest of the file are kept as they are.
    """
    lines = config_text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.match(r"^sources:\s*(#.*)?$", line)), None
    )
    dumped = yaml.safe_dump({name: block}, sort_keys=False, default_flow_style=False, width=100)
    if start is None:
        body = "sources:\n" + _indent(dumped, 2)
        return config_text.rstrip("\n") + ("\n\n" if config_text.strip() else "") + body
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i] and not lines[i][0].isspace() and not lines[i].startswith("#")
        ),
        len(lines),
    )
    children = [
        line
        for line in lines[start + 1 : end]
        if line.strip() and not line.lstrip().startswith("#")
    ]
    indent = len(children[0]) - len(children[0].lstrip()) if children else 2
    last = end
    while last > start + 1 and not lines[last - 1].strip():
        last -= 1
    new = [*lines[:last], "", *_indent(dumped, indent).splitlines(), *lines[last:]]
    return "\n".join(new) + "\n"


def insert_endpoint(config_text: str, source: str, entity: str, endpoint: dict[str, Any]) -> str:
    """`config_text` with `entity` added under ``sources.<source>.endpoints``.

    Raises:
        ValueError: the source's ``endpoints:`` is not a block mapping this can find
            (a flow mapping, say); the message holds the block to paste by hand.
    """
    lines = config_text.splitlines()
    dumped = yaml.safe_dump({entity: endpoint}, sort_keys=False, width=100)
    top = next((i for i, line in enumerate(lines) if re.match(r"^sources:\s*(#.*)?$", line)), None)
    found = None if top is None else _child(lines, top, 0, len(lines), source)
    endpoints = None if found is None else _child(lines, *found, "endpoints")
    if endpoints is None:
        raise ValueError(
            f"cannot find sources.{source}.endpoints as a block mapping; add this under it:\n"
            + dumped
        )
    start, indent, end = endpoints
    children = [
        line
        for line in lines[start + 1 : end]
        if line.strip() and not line.lstrip().startswith("#")
    ]
    width = len(children[0]) - len(children[0].lstrip()) if children else indent + 2
    last = end
    while last > start + 1 and not lines[last - 1].strip():
        last -= 1
    new = [*lines[:last], *_indent(dumped, width).splitlines(), *lines[last:]]
    return "\n".join(new) + "\n"


def _child(
    lines: list[str], parent: int, parent_indent: int, end: int, key: str
) -> tuple[int, int, int] | None:
    """(line, indent, end of block) of block-mapping key `key` under line `parent`."""
    for i in range(parent + 1, end):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= parent_indent:
            return None
        if re.match(rf"^\s+{re.escape(key)}:\s*(#.*)?$", line):
            stop = next(
                (
                    j
                    for j in range(i + 1, end)
                    if lines[j].strip()
                    and not lines[j].lstrip().startswith("#")
                    and len(lines[j]) - len(lines[j].lstrip()) <= indent
                ),
                end,
            )
            return i, indent, stop
    return None


def _indent(text: str, width: int) -> str:
    pad = " " * width
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def sources_yml(plan: Plan) -> str:
    """The dbt source entry of the new landing table (a file of its own)."""
    return f"""version: 2

sources:
    - name: landing
      tables:
          - name: {plan.table}
            description: >
                `{plan.url}`, one row per record per extract
                (added by `glueflake add-source`).
            columns:
                - name: record
                  description: The record as the API served it (DuckDB JSON, Snowflake VARIANT).
                  data_tests:
                      - not_null
                - name: _file_name
                  description: Lake key of the data file the row came from.
                - name: _file_row_number
                  description: 1-based line of the record in its file.
                - name: _loaded_at
                  description: When the loader copied the file into the warehouse.
"""


def _sql_cast(column: Column) -> str:
    if column.sql_type is None:
        return f"{{{{ json_get('record', '{column.key}') }}}}"
    return f"{{{{ json_get('record', '{column.key}', '{column.sql_type}') }}}}"


def raw_model_sql(plan: Plan) -> str:
    """The raw model: each inferred field typed through the JSON macros, latest version kept."""
    key = plan.column(plan.primary_key).name
    fields = "\n".join(f"        {_sql_cast(c)} as {c.name}," for c in plan.inference.columns)
    if plan.cursor_field:
        cursor = plan.column(plan.cursor_field).name
        dedup_comment = f"-- Latest version per {key}: greatest {cursor}, then the latest load."
        dedup = f"{{{{ latest_version('typed', '{key}', updated_at='{cursor}') }}}}"
    else:
        dedup_comment = f"-- Latest version per {key}: the latest load wins."
        dedup = f"{{{{ latest_version('typed', '{key}') }}}}"
    samples = plan.inference.samples
    return f"""{{#- Written by `glueflake add-source` from {samples} sample records of
    {plan.url}; types inferred, edit freely. -#}}
with

source as (

    select * from {{{{ source('landing', '{plan.table}') }}}}

),

typed as (

    select
{fields}
        _file_name,
        _file_row_number,
        {{{{ to_utc_timestamp('_file_last_modified') }}}} as _file_last_modified,
        _run_id,
        {{{{ to_utc_timestamp('_loaded_at') }}}} as _loaded_at
    from source

),

final as (

    {dedup_comment}
    {dedup}

)

select * from final
"""


def models_yml(plan: Plan) -> str:
    """The raw model's yml: descriptions of every column, unique/not_null on the key."""
    n = plan.inference.samples
    key = plan.column(plan.primary_key)
    order = (
        f"greatest `{plan.cursor_field}`, then the latest load"
        if plan.cursor_field
        else "the latest load"
    )
    columns: list[dict[str, Any]] = []
    for column in plan.inference.columns:
        entry: dict[str, Any] = {"name": column.name, "description": column.description}
        if column is key:
            entry["description"] += " The primary key."
            entry["data_tests"] = ["unique", "not_null"]
        columns.append(entry)
    for name, description in METADATA_COLUMNS:
        columns.append({"name": name, "description": description})
    document = {
        "version": 2,
        "models": [
            {
                "name": plan.model,
                "description": (
                    f"One row per `{plan.primary_key}` ({order}), typed from "
                    f"`landing.{plan.table}`. Written by `glueflake add-source`; column "
                    f"types inferred from {n} sample records."
                ),
                "columns": columns,
            }
        ],
    }
    return yaml.dump(
        document, Dumper=_IndentedDumper, sort_keys=False, width=88, indent=4, allow_unicode=True
    )


class _IndentedDumper(yaml.SafeDumper):
    """Indents lists under their key, as the project's yml files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)
