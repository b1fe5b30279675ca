"""The S3 lake: extract into a moto S3 server on loopback; write-once via conditional puts."""

from __future__ import annotations

import gzip
from typing import TYPE_CHECKING

import boto3
import orjson
import pytest

from glueflake.config import PipelineConfig
from glueflake.extract import read_bookmark, run_extract
from glueflake.lake import ObjectExistsError, S3Store, list_manifests, open_store

if TYPE_CHECKING:
    from conftest import DemoConfig

pytestmark = [pytest.mark.integration, pytest.mark.s3]

ONLY = ["shop.orders"]
BUCKET = "glueflake-test-lake"


def _bucket(endpoint: str) -> None:
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)


def test_s3_store_is_write_once(moto_server: str) -> None:
    _bucket(moto_server)
    store = S3Store(f"s3://{BUCKET}/lake", endpoint_url=moto_server, region="us-east-1")
    info = store.put("raw/a/b/f.ndjson.gz", b"first")
    assert info.size == 5
    with pytest.raises(ObjectExistsError):
        store.put("raw/a/b/f.ndjson.gz", b"second")
    assert store.get("raw/a/b/f.ndjson.gz") == b"first"
    store.put("_state/x.json", b"1", overwrite=True)
    store.put("_state/x.json", b"2", overwrite=True)
    assert store.get("_state/x.json") == b"2"
    assert [i.key for i in store.list("raw/")] == ["raw/a/b/f.ndjson.gz"]
    with pytest.raises(FileNotFoundError):
        store.get("raw/missing")


def test_extract_into_s3(moto_server: str, demo_config: DemoConfig) -> None:
    demo_api = pytest.importorskip("glueflake.demo_api")
    if not hasattr(demo_api, "DemoServer"):
        pytest.skip("glueflake.demo_api has no DemoServer yet")
    _bucket(moto_server)
    raw = demo_config(
        seed=3,
        scale=1_000,
        day=200,
        api_key="s3-test-key",
        orders_file_max_records=400,
        orders_page_size=100,
    )
    raw["lake"] = {
        "url": f"s3://{BUCKET}/prefix",
        "endpoint_url": moto_server,
        "region": "us-east-1",
    }
    config = PipelineConfig.model_validate(raw)
    summary = run_extract(config, progress=False, only=ONLY)
    settings = demo_api.DemoSettings(seed=3, scale=1_000, day=200, api_key="x")
    expected = demo_api.count_orders(settings)
    assert summary.result("shop", "orders").records == expected

    store = open_store(config.lake.url, endpoint_url=moto_server, region="us-east-1")
    manifests = list(list_manifests(store, "shop", "orders"))
    assert manifests[-1].final and sum(m.records for m in manifests) == expected
    for m in manifests:
        for f in m.files:
            data = store.get(f.key)
            assert len(gzip.decompress(data).splitlines()) == f.records
            assert orjson.loads(gzip.decompress(data).splitlines()[0])["id"] >= 1
            with pytest.raises(ObjectExistsError):
                store.put(f.key, b"overwrite attempt")
    # Everything is under the prefix, and the bookmark is in the bucket too.
    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=moto_server).list_objects_v2(Bucket=BUCKET)[
            "Contents"
        ]
    ]
    assert all(k.startswith("prefix/") for k in keys)
    assert read_bookmark(store, "shop", "orders") is not None

    again = run_extract(config, progress=False, only=ONLY)
    assert again.result("shop", "orders").records == 0
    assert len(list(list_manifests(store, "shop", "orders"))) == len(manifests)
