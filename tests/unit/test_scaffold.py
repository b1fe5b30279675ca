"""add-source's pieces: type inference, pagination detection, rendering (no network).

Endpoints are httpx MockTransports shaped like the APIs a user brings.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import yaml

from glueflake.scaffold.infer import infer, snake_case
from glueflake.scaffold.probe import Prober, ScaffoldError
from glueflake.scaffold.render import insert_source

URL = "http://api.test/v1/things"
ROWS = [{"id": i, "name": f"n{i}"} for i in range(10)]


def _page(rows: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"results": rows, **extra}


def _prober(handler: Any, auth: dict[str, Any] | None = None, **env: str) -> Prober:
    return Prober(URL, auth, environ=env, transport=httpx.MockTransport(handler))


def _json(body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)


# --- inference ----------------------------------------------------------------------


def test_types_are_inferred_from_the_values_sent() -> None:
    records = [
        json.loads(text, parse_float=Decimal)
        for text in (
            '{"id": 1, "amount": 10.50, "ratio": 1.5e-12, "ok": true, "at": "2026-01-02T03:04:05Z",'
            ' "day": "2026-01-02", "note": "x", "meta": {"a": 1}, "tags": [], "mixed": 1}',
            '{"id": 2, "amount": 3, "ratio": 0.25, "ok": false, "at": "2026-01-03 03:04:05+02:00",'
            ' "day": "2026-01-03", "note": null, "meta": {}, "tags": ["a"], "mixed": "one"}',
        )
    ]
    kinds = {c.key: c.kind for c in infer(records).columns}
    assert kinds == {
        "id": "integer",
        "amount": "decimal",  # 10.50 and 3: a decimal, not a double
        "ratio": "double",  # too many digits after the point for decimal(38, 9)
        "ok": "boolean",
        "at": "timestamp",
        "day": "date",
        "note": "text",
        "meta": "object",
        "tags": "array",
        "mixed": "text",
    }
    note = infer(records).column("note")
    assert note is not None and note.present == 1
    assert "inferred from 2 samples; null or missing in 1" in note.description


def test_names_are_snake_case_and_never_clash_with_sql_or_load_metadata() -> None:
    assert snake_case("updatedAt") == "updated_at"
    assert snake_case("order-ID") == "order_id"
    columns = infer([{"order": 1, "_loaded_at": "x", "from": 2, "a.b": 3, "id": 4}])
    assert [c.name for c in columns.columns] == ["order_", "loaded_at", "from_", "id"]
    assert columns.skipped == ("a.b",)


def test_key_and_cursor_candidates() -> None:
    records = [
        {"uuid": f"u{i}", "id": i, "status": "x", "updatedAt": f"2026-01-0{i + 1}T00:00:00Z"}
        for i in range(3)
    ]
    found = infer(records)
    assert found.key_candidates == ("id", "uuid")
    assert found.cursor_candidates == ("updatedAt",)
    assert infer([{"name": "a"}, {"name": "a"}]).key_candidates == ()


# --- probing ------------------------------------------------------------------------


def _paged(request: httpx.Request) -> list[dict[str, Any]]:
    page = int(request.url.params.get("page", "1"))
    return ROWS[(page - 1) * 4 : page * 4]


def test_link_header_pagination() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        link = {"Link": f'<{URL}?page={page + 1}&per_page=4>; rel="next"'} if page < 3 else {}
        return _json(_paged(request), link)

    found = _prober(handler).probe()
    assert found.records_path == ""
    assert found.pagination == {"type": "link_header", "size_param": "per_page", "page_size": 4}
    assert [r["id"] for r in found.records] == list(range(10))


def test_next_url_in_the_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        following = f"{URL}?page={page + 1}" if page < 3 else None
        return _json({"meta": {"next": following}, "data": _paged(request)})

    found = _prober(handler).probe()
    assert found.records_path == "data"
    assert found.pagination == {"type": "next_url", "next_path": "meta.next"}
    assert found.pages == 3 and len(found.records) == 10


def test_cursor_in_the_body_and_its_parameter_are_found() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("after", "0"))
        rows = ROWS[start : start + 4]
        following = str(start + 4) if start + 4 < len(ROWS) else None
        return _json(_page(rows, next_cursor=following))

    found = _prober(handler).probe()
    assert found.pagination["type"] == "cursor"
    assert found.pagination["cursor_path"] == "next_cursor"
    assert found.pagination["cursor_param"] == "after"
    assert len(found.records) == 10


def test_page_number_found_by_asking_for_page_two() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _json(_page(_paged(request), total_pages=3))

    found = _prober(handler).probe()
    assert found.pagination == {
        "type": "page_number",
        "page_param": "page",
        "size_param": "per_page",
        "page_size": 4,
    }
    assert len(found.records) == 10


def test_offset_found_by_asking_past_the_first_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", "0"))
        return _json({"items": ROWS[offset : offset + 4], "offset": offset, "limit": 4})

    found = _prober(handler).probe()
    assert found.pagination == {
        "type": "offset",
        "offset_param": "offset",
        "limit_param": "limit",
        "page_size": 4,
    }
    assert len(found.records) == 10


def test_no_pagination_is_assumed_single_page_and_said() -> None:
    found = _prober(lambda request: _json(_page(ROWS))).probe()
    assert found.pagination == {"type": "single_page"}
    assert any("assumed single_page" in note for note in found.notes)


def test_auth_is_sent_from_the_variable_and_never_inline() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return _json(ROWS)

    _prober(handler, {"type": "bearer", "token": "${TOK}"}, TOK="t0k").probe()
    assert set(seen) == {"Bearer t0k"}
    with pytest.raises(ScaffoldError, match="write it as"):
        _prober(handler, {"type": "bearer", "token": "t0k"})
    with pytest.raises(ScaffoldError, match="TOK is not set"):
        Prober(URL, {"type": "bearer", "token": "${TOK}"}, environ={})


def test_an_error_status_names_the_request_without_the_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401)

    with pytest.raises(ScaffoldError) as caught:
        _prober(
            handler, {"type": "api_key", "key": "${K}", "location": "query", "name": "k"}, K="s3"
        ).probe()
    assert "HTTP 401" in str(caught.value) and "s3" not in str(caught.value)


# --- rendering ----------------------------------------------------------------------


def test_the_source_block_goes_under_sources_and_keeps_the_rest() -> None:
    text = (
        "# top comment\nversion: 1\nsources:\n  # the shop\n  shop:\n    base_url: demo\n"
        "    endpoints:\n      orders: {path: /o, primary_key: id}\n\ndbt:\n  target: dev\n"
    )
    after = insert_source(text, "things", {"base_url": "http://x", "endpoints": {}})
    assert after.startswith("# top comment\nversion: 1\nsources:\n  # the shop\n")
    parsed = yaml.safe_load(after)
    assert list(parsed["sources"]) == ["shop", "things"]
    assert parsed["dbt"] == {"target": "dev"}


# --- planning -----------------------------------------------------------------------


def _plan(tmp_path: Any, **kwargs: Any) -> Any:
    from glueflake.scaffold import plan_add_source

    config = tmp_path / "pipeline.yml"
    config.write_text(
        "version: 1\nsources:\n  shop:\n    base_url: http://x\n"
        "    endpoints:\n      a: {path: /a, primary_key: id}\n"
    )
    rows = [
        {"id": i, "uuid": f"u{i}", "updatedAt": f"2026-01-0{i + 1}T00:00:00Z"} for i in range(3)
    ]
    transport = httpx.MockTransport(lambda request: _json({"data": rows}))
    return plan_add_source(config, "things", URL, environ={}, transport=transport, **kwargs)


def test_several_key_candidates_are_asked_about_or_named(tmp_path: Any) -> None:
    asked: list[tuple[str, tuple[str, ...]]] = []

    def choose(what: str, options: Any) -> str:
        asked.append((what, tuple(options)))
        return str(options[-1])

    planned = _plan(tmp_path, choose=choose)
    assert asked == [("primary key", ("id", "uuid"))]
    assert planned.plan.primary_key == "uuid"
    assert planned.plan.cursor_field == "updatedAt"
    unasked = _plan(tmp_path)
    assert unasked.plan.primary_key == "id"
    assert any("primary key: took 'id' of id, uuid" in note for note in unasked.notes)
    paths = [str(c.path.relative_to(tmp_path)) for c in unasked.changes]
    assert paths == [
        "pipeline.yml",
        "models/raw/things/_things__things__sources.yml",
        "models/raw/things/_things__things__models.yml",
        "models/raw/things/raw_things__things.sql",
    ]
    assert not (tmp_path / "models").exists()  # planned, not written


def test_a_second_endpoint_of_a_source_goes_under_its_endpoints_with_its_auth(
    tmp_path: Any,
) -> None:
    from glueflake.scaffold import plan_add_source

    config = tmp_path / "pipeline.yml"
    config.write_text(
        "version: 1\nsources:\n  api:   # ours\n    base_url: http://api.test/v1\n"
        "    auth: {type: bearer, token: '${TOK}'}\n"
        "    endpoints:\n      users:\n        path: /users\n        primary_key: id\n"
        "\n  other:\n    base_url: http://x\n    endpoints:\n      a: {path: /a, primary_key: id}\n"
    )
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return _json(ROWS)

    planned = plan_add_source(
        config, "api", URL, environ={"TOK": "t"}, transport=httpx.MockTransport(handler)
    )
    assert set(seen) == {"Bearer t"}
    after = yaml.safe_load(planned.changes[0].after)
    assert list(after["sources"]["api"]["endpoints"]) == ["users", "things"]
    assert after["sources"]["api"]["endpoints"]["things"]["path"] == "/things"
    assert list(after["sources"]) == ["api", "other"]
    assert "api:   # ours" in planned.changes[0].after
    with pytest.raises(ScaffoldError, match="already configured"):
        plan_add_source(config, "api", "http://api.test/v1/users", environ={"TOK": "t"})
    with pytest.raises(ScaffoldError, match="is not below it"):
        plan_add_source(config, "api", "http://elsewhere.test/things", environ={"TOK": "t"})
