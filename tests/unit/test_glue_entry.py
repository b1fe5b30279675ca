"""The Glue entry reads source secrets from Secrets Manager into the environment."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ENTRY = Path(__file__).resolve().parents[2] / "glue" / "extract_api.py"


def _entry():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("glue_extract_api", ENTRY)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@mock_aws
@pytest.mark.usefixtures("aws_env")
def test_secrets_id_exports_each_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLUEFLAKE_SHOP_API_KEY", raising=False)
    boto3.client("secretsmanager").create_secret(
        Name="glueflake/shop", SecretString=json.dumps({"GLUEFLAKE_SHOP_API_KEY": "k-123"})
    )
    _entry()._export_secrets("glueflake/shop")
    assert os.environ["GLUEFLAKE_SHOP_API_KEY"] == "k-123"
    monkeypatch.delenv("GLUEFLAKE_SHOP_API_KEY")


@mock_aws
@pytest.mark.usefixtures("aws_env")
def test_secret_that_is_not_an_object_is_refused() -> None:
    boto3.client("secretsmanager").create_secret(Name="glueflake/bad", SecretString='"x"')
    with pytest.raises(ValueError, match="expected a JSON object"):
        _entry()._export_secrets("glueflake/bad")


@mock_aws
@pytest.mark.usefixtures("aws_env")
def test_config_on_s3_with_a_local_lake_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """A local lake named by a config on S3 would land in the job's temporary folder."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="conf")
    # The repository's own pipeline.yml: a local lake, as on a laptop.
    config = (ENTRY.parents[1] / "pipeline.yml").read_bytes()
    s3.put_object(Bucket="conf", Key="pipeline.yml", Body=config)
    assert _entry().main(["job", "--config", "s3://conf/pipeline.yml"]) == 2
    err = capsys.readouterr().err
    assert "lake.url" in err and "'.glueflake/lake'" in err and "s3://" in err
