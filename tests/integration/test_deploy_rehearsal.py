"""A deployment rehearsal: docs/runbook.md, step by step, offline.

Each test below is one numbered step of the runbook, in its order (they share one
module-scoped `Rehearsal` and must run in file order; xdist keeps them together). The
stand-ins: a moto server on 127.0.0.1 for S3, Secrets Manager, the Glue API, IAM,
Step Functions, SNS, EventBridge and CloudFormation; fakesnow (Snowflake SQL on
DuckDB) for Snowflake, with dbt-snowflake running the real `prod` target of
profiles.yml against it.

What moto's CloudFormation skips, and what checks it instead:
- AWS::Glue::Job (both jobs): the rehearsal creates them through moto's Glue API from
  the template's own properties, resolved with the stack's parameters, then builds
  each job's argv from `get_job`'s DefaultArguments exactly as Glue would;
- AWS::Scheduler::Schedule, AWS::SNS::Subscription, AWS::SNS::TopicPolicy,
  AWS::S3::BucketPolicy: cfn-lint and tests/unit/test_infra_template.py.
A step no stand-in can run is a named skip saying why (`REAL_ACCOUNT_ONLY`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from snowflake_fixtures import FAKESNOW_EXCLUDE, fakesnow_gap

from glueflake.config import PipelineConfig, load_config

fakesnow = pytest.importorskip("fakesnow")
snowflake_connector = pytest.importorskip("snowflake.connector")
boto3 = pytest.importorskip("boto3")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.s3,
    pytest.mark.snowflake,
    pytest.mark.dbt,
    pytest.mark.xdist_group("deploy_rehearsal"),
]

REPO = Path(__file__).resolve().parents[2]
BUCKET = "glueflake-rehearsal"
REGION = "eu-west-1"
SECRET_ID = "glueflake/pipeline"
DEMO_DAY = 300
REAL_ACCOUNT_ONLY = {
    "iam_trust": "Snowflake assuming the IAM role (STORAGE_AWS_IAM_USER_ARN + external id) "
    "needs a real Snowflake account and a real IAM; moto does not apply a role update's "
    "trust policy and fakesnow has no storage integration",
    "schedule": "EventBridge Scheduler firing the chain needs real AWS: moto's "
    "CloudFormation has no AWS::Scheduler::Schedule (cfn-lint and the template tests "
    "check it)",
    "chain": "Step Functions running Glue jobs (.sync) needs real AWS: moto runs no Glue "
    "job; the rehearsal plays the chain's two steps in its order with each job's argv",
    "alerts": "an SNS e-mail from a failed job needs real AWS (EventBridge delivering "
    "Glue/Step Functions events); the rules and topic exist in moto",
    "snowpipe": "Snowpipe (pipes, S3 event notifications, SYSTEM$PIPE_STATUS) needs a "
    "real Snowflake account; fakesnow 0.11 has no pipes. The rehearsal uses mode copy",
}


class _CfnLoader(yaml.SafeLoader):
    """CloudFormation short tags (!Ref, !Sub...) as their long form."""


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct)


def resolve(node: Any, names: dict[str, str]) -> Any:
    """Resolve !Ref and !Sub of a template fragment (what moto skips for Glue::Job)."""
    if isinstance(node, dict):
        if "Ref" in node:
            return names[node["Ref"]]
        if "Fn::Sub" in node:
            return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], node["Fn::Sub"])
        return {k: resolve(v, names) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, names) for v in node]
    return node


def glue_argv(script: str, job: dict[str, Any], run_id: str, extra: dict[str, str]) -> list[str]:
    """argv as Glue builds it: the script, Glue's own arguments, DefaultArguments, the run's."""
    argv = [
        f"/tmp/{script}",
        "--JOB_ID",
        "j_rehearsal",
        "--JOB_RUN_ID",
        run_id,
        "--JOB_NAME",
        job["Name"],
        "--TempDir",
        f"s3://aws-glue-assets-123456789012-{REGION}/temporary/",
        "--job-bookmark-option",
        "job-bookmark-disable",
    ]
    for key, value in {**job["DefaultArguments"], **extra}.items():
        argv += [key if key.startswith("--") else f"--{key}", value]
    return [*argv, "--conf", "spark.glue.unknown=1", "--unknown-extra-arg", "x"]


@dataclass
class Rehearsal:
    """State carried from one runbook step to the next."""

    root: Path
    aws_url: str
    config_path: Path
    wheel: Path
    keys: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)

    def client(self, name: str) -> Any:
        return boto3.client(name, endpoint_url=self.aws_url, region_name=REGION)

    def config(self, secrets: bool | set[str] = False) -> PipelineConfig:
        return load_config(self.config_path, resolve_secrets=secrets)

    def require(self, *steps: str) -> None:
        missing = [s for s in steps if s not in self.done]
        if missing:
            pytest.skip(f"an earlier runbook step did not pass: {missing}")


def _encrypted_key(passphrase: bytes) -> tuple[str, str]:
    """(encrypted PKCS#8 PEM, public key body) of a fresh RSA key, as openssl makes them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body = "".join(public.decode().splitlines()[1:-1])
    return pem, body


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    """A moto server (every service) on loopback, AWS_ENDPOINT_URL pointing at it."""
    server_mod = pytest.importorskip("moto.server")
    patch = pytest.MonkeyPatch()
    saved = dict(os.environ)  # the jobs export the secret into the environment
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            # What a Glue job's boto3 would find as its endpoint: moto here.
            "AWS_ENDPOINT_URL": url,
            # fakesnow: dbt's concurrent connections race creating a database's PUBLIC
            # schema ("Schema with name PUBLIC already exists"); one thread offline.
            "GLUEFLAKE_DBT_THREADS": "1",
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        boto3.client("s3").list_buckets()  # the server answers
        import httpx

        httpx.post(f"{url}/moto-api/reset").raise_for_status()
        root = tmp_path_factory.mktemp("rehearsal")
        wheel = root / "glueflake-0.1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:  # the real build: test_deploy_aws.py
            zf.writestr("glueflake/__init__.py", "")
        # The deployer's own environment: the admin's key for `snowflake apply`.
        patch.setenv("SNOWFLAKE_ADMIN_KEY_PASSPHRASE", "admin-passphrase")
        yield Rehearsal(root, url, root / "pipeline.prod.yml", wheel)
    finally:
        patch.undo()
        os.environ.clear()
        os.environ.update(saved)
        server.stop()


def _cli(*args: str) -> Any:
    from typer.testing import CliRunner

    from glueflake.cli import app

    return CliRunner().invoke(app, list(args))


# --- the runbook, in order -------------------------------------------------------------


def test_step_01_write_the_production_config(rehearsal: Rehearsal) -> None:
    """Copy examples/pipeline.snowflake.yml and set the lake URL and names."""
    raw = yaml.safe_load((REPO / "examples" / "pipeline.snowflake.yml").read_text())
    raw["lake"] = {"url": f"s3://{BUCKET}/glueflake", "region": REGION}
    wh = raw["warehouse"]
    # On Glue there is no key file: the key's PEM comes from the secret (runbook step 4).
    wh.pop("private_key_path", None)
    wh["private_key"] = "${SNOWFLAKE_LOADER_PRIVATE_KEY}"
    wh["aws_role_arn"] = "arn:aws:iam::123456789012:role/glueflake-snowflake-lake-read"
    raw["demo"] = {"seed": 7, "scale": 300}
    raw["setup"] = {
        "user": "JANE_ADMIN",
        "role": "ACCOUNTADMIN",
        "private_key_path": "keys/admin.p8",
        "private_key_passphrase": "${SNOWFLAKE_ADMIN_KEY_PASSPHRASE}",
        "loader_public_key_path": "keys/glueflake_loader.pub",
        "dbt_public_key_path": "keys/glueflake_dbt.pub",
    }
    rehearsal.config_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    config = rehearsal.config()
    assert config.lake.is_s3 and config.warehouse.type == "snowflake"
    assert config.warehouse.mode == "copy"  # type: ignore[union-attr]
    rehearsal.done.append("config")


def test_step_02_key_pairs_for_the_admin_and_the_two_service_users(rehearsal: Rehearsal) -> None:
    """openssl genrsa | openssl pkcs8 -topk8 -v2 aes256; openssl rsa -pubout (here: the
    same keys made with cryptography)."""
    folder = rehearsal.root / "keys"
    folder.mkdir()
    for name, passphrase in (
        ("admin", b"admin-passphrase"),
        ("glueflake_loader", b"rehearsal-passphrase"),
        ("glueflake_dbt", b"rehearsal-passphrase"),
    ):
        pem, public = _encrypted_key(passphrase)
        rehearsal.keys[name] = pem
        (folder / f"{name}.p8").write_text(pem)
        body = "\n".join(public[i : i + 64] for i in range(0, len(public), 64))
        (folder / f"{name}.pub").write_text(
            f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"
        )
    rehearsal.done.append("keys")


def test_step_03_render_the_snowflake_scripts_without_secrets(rehearsal: Rehearsal) -> None:
    rehearsal.require("config", "keys")
    out = rehearsal.root / "snowflake"
    result = _cli("snowflake", "render", "-c", str(rehearsal.config_path), "--dir", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.sql")) == [
        "roles_and_grants.sql",
        "setup_stage_and_tables.sql",
        "setup_storage_integration.sql",
        "snowpipe_trigger.sql",
    ]
    grants = (out / "roles_and_grants.sql").read_text()
    assert "create user if not exists GLUEFLAKE_LOADER_USER\n    type = service" in grants
    assert "alter user GLUEFLAKE_DBT_USER set rsa_public_key = 'MII" in grants
    rehearsal.done.append("render")


def test_step_04_store_the_secrets_in_secrets_manager(rehearsal: Rehearsal) -> None:
    rehearsal.require("config", "keys")
    values = {
        "GLUEFLAKE_SHOP_API_KEY": "rehearsal-shop-key",
        "SNOWFLAKE_LOADER_PRIVATE_KEY": rehearsal.keys["glueflake_loader"],
        "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "rehearsal-passphrase",
        # dbt's prod target (profiles.yml): the dbt user's key; account, user, role,
        # warehouse and database come from the config (one source of truth)
        "SNOWFLAKE_PRIVATE_KEY": rehearsal.keys["glueflake_dbt"],
    }
    rehearsal.client("secretsmanager").create_secret(
        Name=SECRET_ID, SecretString=json.dumps(values)
    )
    rehearsal.done.append("secrets")


def _deploy(rehearsal: Rehearsal, *flags: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto: "no CloudFormation support for Glue::Job"
        return _cli(
            "deploy-aws",
            "-c",
            str(rehearsal.config_path),
            "--endpoint-url",
            rehearsal.aws_url,
            "--wheel",
            str(rehearsal.wheel),
            "--secrets-id",
            SECRET_ID,
            *flags,
        )


def test_step_05_preview_then_deploy_the_stack_with_the_schedule_off(
    rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch
) -> None:
    rehearsal.require("config", "secrets")
    monkeypatch.chdir(REPO)  # deploy-aws runs from the repository
    preview = _deploy(rehearsal, "--dry-run", "--schedule-disabled")
    assert preview.exit_code == 0, preview.output
    assert "does not exist: a deploy creates it" in preview.output
    assert (
        "Buckets" not in rehearsal.client("s3").list_buckets()
        or not (rehearsal.client("s3").list_buckets()["Buckets"])
    )
    done = _deploy(rehearsal, "--schedule-disabled", "--alert-email", "data@example.com")
    assert done.exit_code == 0, done.output
    cfn = rehearsal.client("cloudformation")
    stack = cfn.describe_stacks(StackName="glueflake")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    rehearsal.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    rehearsal.params = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert rehearsal.params["ScheduleEnabled"] == "false"
    assert rehearsal.outputs["ScheduleState"] == "DISABLED"
    assert rehearsal.params["SecretsId"] == SECRET_ID
    assert rehearsal.outputs["SnowflakeStorageRoleArn"] == rehearsal.config().warehouse.aws_role_arn  # type: ignore[union-attr]
    topics = rehearsal.client("sns").list_topics()["Topics"]
    assert rehearsal.outputs["AlertTopicArn"] in [t["TopicArn"] for t in topics]
    rehearsal.done.append("deploy")


def test_step_05b_glue_jobs_from_the_template(rehearsal: Rehearsal) -> None:
    """moto's CloudFormation skips AWS::Glue::Job: create both through its Glue API."""
    rehearsal.require("deploy")
    template = yaml.load((REPO / "infra" / "glueflake.yml").read_text(), Loader=_CfnLoader)
    names = {
        **rehearsal.params,
        "LakeBucket": BUCKET,
        "ExtractJob": rehearsal.params["GlueJobName"],
        "LoadTransformJob": rehearsal.params["LoadTransformJobName"],
    }
    names["GlueJobRole.Arn"] = rehearsal.outputs["GlueJobRoleArn"]
    glue = rehearsal.client("glue")
    s3 = rehearsal.client("s3")
    for logical in ("ExtractJob", "LoadTransformJob"):
        props = resolve(template["Resources"][logical]["Properties"], names)
        props["Role"] = rehearsal.outputs["GlueJobRoleArn"]
        for number in ("NumberOfWorkers", "Timeout"):  # CloudFormation's Number type
            props[number] = int(props[number])
        glue.create_job(**{k: v for k, v in props.items() if k != "Tags"})
        job = glue.get_job(JobName=props["Name"])["Job"]
        rehearsal.jobs[logical] = job
        # every S3 URL the job names was uploaded by deploy-aws under its content hash
        for url in re.findall(r"s3://[^,\s\"]+", json.dumps(job, default=str)):
            bucket, _, key = url.removeprefix("s3://").partition("/")
            s3.head_object(Bucket=bucket, Key=key)
    extract = rehearsal.jobs["ExtractJob"]
    assert extract["DefaultArguments"]["--secrets-id"] == SECRET_ID
    assert extract["Command"]["ScriptLocation"].endswith("/extract_api.py")
    assert re.search(r"/glue/[0-9a-f]{16}/extract_api\.py$", extract["Command"]["ScriptLocation"])
    rehearsal.done.append("glue-jobs")


def _admin_apply(rehearsal: Rehearsal, conn: Any, script: str) -> list[tuple[str, str]]:
    """`glueflake snowflake apply --script <script>` on fakesnow: gap statements must fail."""
    from glueflake.deploy.snowflake import first_line, split_statements

    skipped = []
    cur = conn.cursor()
    for statement in split_statements((rehearsal.root / "snowflake" / script).read_text()):
        head = first_line(statement)
        gap = fakesnow_gap(head)
        if gap is None:
            cur.execute(statement)
            continue
        with pytest.raises(Exception):  # noqa: B017 - any refusal is the named gap
            cur.execute(statement)
        skipped.append((head, gap))
    return skipped


@pytest.fixture(scope="module")
def snowflake(rehearsal: Rehearsal) -> Iterator[Any]:
    """The admin connection `snowflake apply` opens (the setup section), on fakesnow."""
    from glueflake.deploy.snowflake import admin_warehouse
    from glueflake.load.snowflake.connection import connect

    rehearsal.require("config", "keys")
    admin = admin_warehouse(rehearsal.config(secrets={"setup"}))
    assert (admin.user, admin.role) == ("JANE_ADMIN", "ACCOUNTADMIN")
    with fakesnow.patch():
        conn = connect(admin, role=None)  # decrypts the admin's key, as on a laptop
        try:
            yield conn
        finally:
            conn.close()


def test_step_06_storage_integration(rehearsal: Rehearsal, snowflake: Any) -> None:
    rehearsal.require("render")
    skipped = _admin_apply(rehearsal, snowflake, "setup_storage_integration.sql")
    assert [h.split()[0] for h, _ in skipped] == ["create", "grant", "desc"]
    rehearsal.done.append("integration")


def test_step_07_trust_snowflake_in_the_iam_role(rehearsal: Rehearsal) -> None:
    rehearsal.require("deploy")
    done = _deploy(
        rehearsal,
        "--schedule-disabled",
        "--snowflake-iam-user-arn",
        "arn:aws:iam::999999999999:user/abc1-s-snowflake",
        "--snowflake-external-id",
        "GLUEFLAKE_SFCRole=1_abc",
    )
    assert done.exit_code == 0, done.output
    stack = rehearsal.client("cloudformation").describe_stacks(StackName="glueflake")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["SnowflakeTrustConfigured"] == "true"
    rehearsal.done.append("trust")
    pytest.skip(REAL_ACCOUNT_ONLY["iam_trust"])


def test_step_08_stage_file_format_and_landing_tables(rehearsal: Rehearsal, snowflake: Any) -> None:
    rehearsal.require("render")
    skipped = _admin_apply(rehearsal, snowflake, "setup_stage_and_tables.sql")
    assert [h for h, _ in skipped] == ["create warehouse if not exists GLUEFLAKE_WH"]
    cur = snowflake.cursor()
    cur.execute("show stages in schema glueflake.landing")
    assert {row[1]: row[4] for row in cur.fetchall()} == {
        "GLUEFLAKE_LAKE": f"s3://{BUCKET}/glueflake/"
    }
    rehearsal.done.append("stage")


def test_step_09_roles_users_and_grants(rehearsal: Rehearsal, snowflake: Any) -> None:
    rehearsal.require("stage")
    skipped = _admin_apply(rehearsal, snowflake, "roles_and_grants.sql")
    # fakesnow has no users, roles or grants: every such statement is a named gap (the
    # order and the roles that run them are checked on an empty-account simulator in
    # tests/unit/test_snowflake_setup.py)
    assert {h.split()[0] for h, _ in skipped} == {"create", "alter", "grant"}
    rehearsal.done.append("grants")


def test_step_10_snowpipe_only_in_snowpipe_mode(rehearsal: Rehearsal) -> None:
    pytest.skip(REAL_ACCOUNT_ONLY["snowpipe"])


def test_step_11_preflight_with_glueflake_doctor(rehearsal: Rehearsal) -> None:
    """The AWS half of `glueflake doctor` against moto; its Snowflake half is a named skip."""
    rehearsal.require("deploy", "secrets")
    from glueflake.deploy.doctor import run_doctor

    def no_snowflake(_wh: Any) -> Any:
        raise RuntimeError("no Snowflake account offline")

    report = run_doctor(
        rehearsal.config_path,
        secrets_id=SECRET_ID,
        environ={"SNOWFLAKE_ADMIN_KEY_PASSPHRASE": "admin-passphrase"},
        endpoint_url=rehearsal.aws_url,
        connect=no_snowflake,
    )
    by_name = {c.name: c for c in report.checks}
    for name in ("config", "secrets", "lake"):
        assert by_name[name].ok, by_name[name].line()
    assert "conditional put refused an overwrite" in by_name["lake"].detail
    assert not by_name["snowflake loader"].ok  # and its fix is named
    assert by_name["snowflake loader"].fix
    pytest.skip(
        "doctor's Snowflake checks (roles, DESC INTEGRATION, LIST @stage, SHOW GRANTS, "
        "SYSTEM$PIPE_STATUS) need a real account; tests/integration/test_doctor.py runs "
        "them on scripted cursors"
    )


def test_step_12_first_run_extract_job(
    rehearsal: Rehearsal, capsys: pytest.CaptureFixture[str]
) -> None:
    """The chain's first step: the extract job's entry with Glue's argv."""
    rehearsal.require("glue-jobs", "secrets")
    job = rehearsal.jobs["ExtractJob"]
    run = rehearsal.client("glue").start_job_run(JobName=job["Name"])["JobRunId"]
    argv = glue_argv("extract_api.py", job, run, {"--demo-day": str(DEMO_DAY)})
    entry = _load_entry("extract_api")
    code = entry.main(argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    s3 = rehearsal.client("s3")
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix="glueflake/raw/"
        )
        for o in page.get("Contents", [])
    ]
    manifests = [k for k in keys if "/_manifests/" in k]
    assert {k.split("/")[2] + "." + k.split("/")[3] for k in manifests} == {
        "restcountries.countries",
        "shop.customers",
        "shop.orders",
    }
    assert "rehearsal-shop-key" not in out.out + out.err  # the secret is never printed
    rehearsal.done.append("extract")


def _load_entry(name: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"rehearsal_{name}", REPO / "glue" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mirror(rehearsal: Rehearsal) -> Path:
    """The S3 lake copied to a local folder (fakesnow 0.11 reads file:// stages only)."""
    s3 = rehearsal.client("s3")
    root = rehearsal.root / "lake-mirror"
    shutil.rmtree(root, ignore_errors=True)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="glueflake/"):
        for obj in page.get("Contents", []):
            target = root / obj["Key"].removeprefix("glueflake/")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(BUCKET, obj["Key"], str(target))
    return root


def test_step_12_first_run_load_and_transform_job(
    rehearsal: Rehearsal,
    snowflake: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The chain's second step: load (COPY mode), dbt build --target prod, freshness."""
    rehearsal.require("extract", "grants")
    from snowflake_lines_copy import LinesCopy

    from glueflake.lake import LocalStore
    from glueflake.load.snowflake import backend
    from glueflake.load.snowflake.sql import snowflake_objects

    mirror = LocalStore(_mirror(rehearsal))
    objects = snowflake_objects(rehearsal.config())
    # fakesnow gaps (named): the stage reads a local mirror of the S3 lake (no s3://
    # stages offline), and the loader copies lines + parse_json (no JSON file format).
    snowflake.cursor().execute(
        f"create or replace stage {objects.stage} url = '{mirror.root.as_uri()}/'"
    )
    monkeypatch.setattr(backend, "JsonCopy", lambda: LinesCopy(mirror))
    job = rehearsal.jobs["LoadTransformJob"]
    run = rehearsal.client("glue").start_job_run(JobName=job["Name"])["JobRunId"]
    argv = glue_argv("load_transform.py", job, run, {"--dbt-exclude": FAKESNOW_EXCLUDE})
    code = _load_entry("load_transform").main(argv)
    out = capsys.readouterr()
    assert code == 0, out.err[-3000:] + out.out[-3000:]
    cur = snowflake.cursor()
    cur.execute("select count(*) from glueflake.landing.shop__orders")
    landed = cur.fetchone()[0]
    assert landed > 0
    cur.execute("select count(*) from glueflake.mart.fct_orders")
    assert cur.fetchone()[0] > 0  # the first mart
    assert "rehearsal-passphrase" not in out.out + out.err
    rehearsal.done.append("first-mart")


def test_step_12_the_chain_itself(rehearsal: Rehearsal) -> None:
    rehearsal.require("deploy")
    chain = rehearsal.client("stepfunctions").describe_state_machine(
        stateMachineArn=rehearsal.outputs["ChainArn"]
    )
    states = json.loads(chain["definition"])["States"]
    assert states["Extract"]["Parameters"]["JobName"] == rehearsal.params["GlueJobName"]
    assert (
        states["LoadAndTransform"]["Parameters"]["JobName"]
        == rehearsal.params["LoadTransformJobName"]
    )
    pytest.skip(REAL_ACCOUNT_ONLY["chain"])


def test_step_13_enable_the_schedule(rehearsal: Rehearsal, monkeypatch: pytest.MonkeyPatch) -> None:
    rehearsal.require("deploy")
    monkeypatch.chdir(REPO)
    done = _deploy(rehearsal)  # no --schedule-disabled: the schedule's State is ENABLED
    assert done.exit_code == 0, done.output
    stack = rehearsal.client("cloudformation").describe_stacks(StackName="glueflake")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["ScheduleState"] == "ENABLED"
    # the Snowflake trust from step 7 is kept on a routine re-deploy
    assert outputs["SnowflakeTrustConfigured"] == "true"
    pytest.skip(REAL_ACCOUNT_ONLY["schedule"])


def test_step_14_alerts(rehearsal: Rehearsal) -> None:
    rehearsal.require("deploy")
    events = rehearsal.client("events")
    for rule in ("glueflake-extract-job-failed", "glueflake-extract-chain-failed"):
        targets = events.list_targets_by_rule(Rule=rule)["Targets"]
        assert [t["Arn"] for t in targets] == [rehearsal.outputs["AlertTopicArn"]]
    pytest.skip(REAL_ACCOUNT_ONLY["alerts"])


def test_step_15_ci_cd_workflows() -> None:
    pytest.skip(
        "GitHub Actions run only on GitHub: tests/unit/test_workflows.py checks the "
        "workflows' structure and actionlint (when installed) checks the files"
    )
