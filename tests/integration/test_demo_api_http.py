from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from glueflake.demo_api import (
    DemoServer,
    DemoSettings,
    count_customers,
    count_orders,
    countries_json,
    iter_orders,
)

pytestmark = pytest.mark.integration

KEY = "integration-key"
SETTINGS = DemoSettings(seed=3, scale=2_500, day=200, api_key=KEY)
LINK = re.compile(r'^<([^>]+)>; rel="next", <([^>]+)>; rel="last"$')


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with DemoServer(SETTINGS) as server, httpx.Client(base_url=server.base_url) as http:
        yield http


def auth() -> dict[str, str]:
    return {"X-API-Key": KEY}


def test_countries_need_no_key_and_match_the_pure_payload(client: httpx.Client) -> None:
    response = client.get("/v3.1/all")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == countries_json(SETTINGS.today)
    again = client.get("/v3.1/all", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/api/orders", "/api/customers"])
@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}])
def test_401_without_the_right_key(client: httpx.Client, path: str, headers: dict) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert KEY not in response.text


def test_unknown_path_is_json_404(client: httpx.Client) -> None:
    response = client.get("/api/nothing", headers=auth())
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/api/orders", {"per_page": "0"}, "per_page"),
        ("/api/orders", {"per_page": "5000"}, "per_page"),
        ("/api/orders", {"page": "zero"}, "page"),
        ("/api/orders", {"updated_since": "yesterday"}, "updated_since"),
        ("/api/customers", {"limit": "1001"}, "limit"),
        ("/api/customers", {"cursor": "not-a-cursor"}, "cursor"),
        ("/api/customers", {"updated_since": "2026-13-40"}, "updated_since"),
    ],
)
def test_400_names_the_parameter(client: httpx.Client, path: str, params: dict, name: str) -> None:
    response = client.get(path, params=params, headers=auth())
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["parameter"] == name and name in error["message"]


def walk_orders(client: httpx.Client, params: dict[str, str]) -> tuple[list[dict], int]:
    url: str | None = "/api/orders"
    records: list[dict] = []
    pages, last = 0, None
    while url is not None:
        response = client.get(url, params=params if pages == 0 else None, headers=auth())
        assert response.status_code == 200
        records.extend(response.json()["data"])
        pages += 1
        link = response.headers.get("link")
        if link is None:
            url = None
        else:
            match = LINK.match(link)
            assert match, link
            url = match.group(1)
            assert url.startswith("http://127.0.0.1:")
            assert last in (None, match.group(2))  # rel="last" names the same page throughout
            last = match.group(2)
    if last is not None:  # the last link named the page the walk ended on
        assert httpx.URL(last).params["page"] == str(pages)
    return records, pages


def test_link_header_chain_walks_every_order(client: httpx.Client) -> None:
    records, pages = walk_orders(client, {"per_page": "300"})
    total = count_orders(SETTINGS)
    assert len(records) == total
    assert len({r["id"] for r in records}) == total
    assert pages == -(-total // 300)
    assert records == list(iter_orders(SETTINGS))


def test_updated_since_filter_over_http(client: httpx.Client) -> None:
    since = "2026-07-15T00:00:00Z"
    records, _ = walk_orders(client, {"per_page": "100", "updated_since": since})
    assert len(records) == count_orders(SETTINGS, since) > 0
    assert all(r["updated_at"] >= since for r in records)
    customers = walk_customers(client, {"limit": "50", "updated_since": since})
    assert len(customers) == count_customers(SETTINGS, since) > 0
    assert all(c["updated_at"] >= since for c in customers)


def walk_customers(client: httpx.Client, params: dict[str, str]) -> list[dict]:
    records: list[dict] = []
    cursor: str | None = ""
    while cursor is not None:
        query = dict(params, cursor=cursor) if cursor else params
        body = client.get("/api/customers", params=query, headers=auth()).json()
        records.extend(body["data"])
        cursor = body["next_cursor"]
    return records


def test_cursor_pagination_walks_every_customer(client: httpx.Client) -> None:
    records = walk_customers(client, {"limit": "97"})
    ids = [r["id"] for r in records]
    assert ids == list(range(1, count_customers(SETTINGS) + 1))


def test_fault_injection_alternates_429_and_503() -> None:
    settings = SETTINGS.model_copy(update={"fail_every": 3})
    with DemoServer(settings) as server, httpx.Client(base_url=server.base_url) as http:
        statuses = []
        for _ in range(12):
            response = http.get("/api/orders", headers=auth())
            statuses.append(response.status_code)
            if response.status_code != 200:
                assert response.headers["retry-after"] == "0"
                assert response.json()["error"]["code"] == "injected_fault"
        assert statuses == [200, 200, 429, 200, 200, 503] * 2
        assert server.requests_served == 12


def test_a_server_at_an_hour_serves_that_instant_over_http() -> None:
    morning = SETTINGS.model_copy(update={"hour": 9})
    since = "2026-07-20T00:00:00Z"  # the start of day 200
    with DemoServer(morning) as server, httpx.Client(base_url=server.base_url) as http:
        records, _ = walk_orders(http, {"per_page": "500"})
        changed, _ = walk_orders(http, {"per_page": "100", "updated_since": since})
        customers = walk_customers(http, {"limit": "50", "updated_since": since})
    assert records == list(iter_orders(morning))
    assert len(records) == count_orders(morning) < count_orders(SETTINGS)
    assert max(r["updated_at"] for r in records) <= "2026-07-20T08:59:59Z"
    assert 0 < len(changed) == count_orders(morning, since) < count_orders(SETTINGS, since)
    assert len(customers) == count_customers(morning, since)
    assert all(c["updated_at"] <= "2026-07-20T08:59:59Z" for c in customers)
