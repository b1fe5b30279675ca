"""A SQL error from dbt names the line in the model's own file (issue 17).

dbt reports `LINE n` of the compiled SQL (wrapped in create table), which is not
the model file's line n.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from glueflake.transform.sql_location import locate, locate_all

MODEL = """\
with

source as (

    -- the landing table
    select * from {{ source('landing', 'x') }}
    -- the landing table

),

typed as (

    select
        {{ json_get('record', 'price', 'decimalx') }} as price,
        _run_idx,
        _loaded_at
    from source

)

select * from typed
"""


def _message(line: int, text: str) -> str:
    return (
        "Runtime Error in model raw_x (models/raw/raw_x.sql)\n"
        '  Binder Error: Referenced column "_run_idx" not found in FROM clause!\n'
        f"  LINE {line}:         {text}\n"
        "                   ^"
    )


def test_a_plain_line_is_found_by_its_text(tmp_path: Path) -> None:
    (tmp_path / "models/raw").mkdir(parents=True)
    (tmp_path / "models/raw/raw_x.sql").write_text(MODEL)
    where = locate(_message(32, "_run_idx,"), tmp_path)
    assert where == "models/raw/raw_x.sql:15: _run_idx,"


def test_a_jinja_line_is_found_by_its_alias(tmp_path: Path) -> None:
    (tmp_path / "models/raw").mkdir(parents=True)
    (tmp_path / "models/raw/raw_x.sql").write_text(MODEL)
    compiled = "try_cast(json_extract_string(record, '$.price') as decimalx) as price,"
    assert locate(_message(31, compiled), tmp_path) == (
        "models/raw/raw_x.sql:14: {{ json_get('record', 'price', 'decimalx') }} as price,"
    )


def test_nothing_is_claimed_without_a_single_match(tmp_path: Path) -> None:
    (tmp_path / "models/raw").mkdir(parents=True)
    (tmp_path / "models/raw/raw_x.sql").write_text(MODEL)
    assert locate(_message(5, "-- the landing table"), tmp_path) is None  # on two lines
    assert locate(_message(9, "select a, b"), tmp_path) is None  # on none
    assert locate("no line here", tmp_path) is None
    assert locate_all([None, _message(32, "_run_idx,"), _message(32, "_run_idx,")], tmp_path) == [
        "models/raw/raw_x.sql:15: _run_idx,"
    ]


def test_transform_adds_the_location_to_dbt_s_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import glueflake.transform as transform_pkg
    from glueflake.config import PipelineConfig
    from glueflake.errors import TransformError
    from glueflake.pipeline import transform
    from glueflake.transform import DbtFailure, NodeResult

    (tmp_path / "models/raw").mkdir(parents=True)
    (tmp_path / "models/raw/raw_x.sql").write_text(MODEL)
    node = NodeResult("model.p.raw_x", "raw_x", "model", "error", message=_message(32, "_run_idx,"))

    def fail(*args: object, **kwargs: object) -> None:
        raise DbtFailure(command="build", failed=(node,))

    monkeypatch.setattr(transform_pkg, "build", fail)
    config = PipelineConfig.model_validate(
        {
            "sources": {
                "s": {
                    "base_url": "http://x",
                    "endpoints": {"e": {"path": "/e", "primary_key": "id"}},
                }
            },
            "base_dir": tmp_path,
        }
    )
    with pytest.raises(TransformError) as caught:
        transform(config, progress=False)
    assert "in the model's file: models/raw/raw_x.sql:15: _run_idx," in str(caught.value)
