"""Loading from an S3 lake (moto server on loopback): objects are downloaded first."""

from __future__ import annotations

from pathlib import Path

import pytest
from lake_builder import LakeBuilder, landing_count, ledger, make_config, order

from glueflake.lake import S3Store
from glueflake.load import lake_status, run_load

pytestmark = [pytest.mark.integration, pytest.mark.s3]


def test_load_from_s3_lake(tmp_path: Path, moto_server: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=moto_server).create_bucket(Bucket="lake")
    cfg = make_config(tmp_path, lake_url="s3://lake/prod", endpoint_url=moto_server)
    store = S3Store("s3://lake/prod", endpoint_url=moto_server)
    lake = LakeBuilder(store)
    manifest = lake.extract([order(i) for i in range(20)], [order(20), "[1]"])
    lake.orphan([order(99)])
    summary = run_load(cfg)
    assert (summary.rows_loaded, summary.rows_rejected) == (21, 1)
    assert landing_count(cfg) == 21
    assert ledger(cfg)[manifest.files[0].key][:3] == ("LOADED", 20, 20)
    assert run_load(cfg).nothing_to_load
    status = lake_status(cfg).entity("shop.orders")
    assert (status.lake_files, status.loaded_files, status.in_flight_files) == (2, 2, 1)
