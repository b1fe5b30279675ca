"""The architecture picture, drawn with the `diagrams` package from the pipeline config.

Two flows, one image: production (an EventBridge Scheduler schedule starts a Step
Functions chain: the Glue extract job (REST APIs -> S3 lake), then the Glue load +
transform job (COPY into, or Snowpipe's wait for, the Snowflake landing tables ->
dbt build -> source freshness); a failed job or chain -> EventBridge rule -> SNS
alert topic) and the
laptop default (bundled demo API -> local lake directory -> DuckDB -> dbt). The
names written on the boxes (sources, entities, landing tables, lake and warehouse
paths) come from the config, so the picture follows `pipeline.yml`.

`architecture_labels` is a pure function of the config (unit-tested); only
`render_architecture` needs the `diagrams` package and Graphviz. Every icon ships
inside the `diagrams` package: nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from glueflake.config import DuckDBWarehouse, PipelineConfig
from glueflake.diagrams.errors import DiagramError
from glueflake.diagrams.render import require_dot

#: At most this many entity lines on one box; the rest become "+N more".
MAX_LISTED = 6
DEFAULT_BUCKET = "<lake-bucket>"


@dataclass(frozen=True)
class ArchitectureLabels:
    """Text written on the boxes of the architecture picture.

    Attributes:
        apis: the REST APIs and their entities.
        glue_job: the Glue extract job box.
        load_job: the Glue load + transform job box.
        s3_lake: the production lake bucket.
        landing_snowflake: the Snowflake landing tables.
        dbt_prod: dbt on Snowflake.
        demo_api: the bundled demo API (laptop flow).
        local_lake: the laptop lake directory.
        duckdb: the laptop warehouse file and its landing tables.
        dbt_local: dbt on DuckDB.
    """

    apis: str
    glue_job: str
    load_job: str
    s3_lake: str
    landing_snowflake: str
    dbt_prod: str
    demo_api: str
    local_lake: str
    duckdb: str
    dbt_local: str


def _listing(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[: MAX_LISTED - 1], f"+{len(lines) - MAX_LISTED + 1} more"]


def _host(url: str) -> str:
    return urlparse(url).netloc or url


def architecture_labels(config: PipelineConfig) -> ArchitectureLabels:
    """The box texts for a pipeline config (no drawing, no I/O).

    Args:
        config: the pipeline; its sources, entities, lake and warehouse are named.

    Returns:
        One text per box, lines separated by newlines.
    """
    api_lines = []
    for name, source in config.sources.items():
        where = "" if source.is_demo else f" ({_host(source.base_url)})"
        api_lines.append(f"{name}{where}: {', '.join(source.endpoints)}")
    tables = [f"landing.{s}__{e}" for s, e in config.entities()]
    lake = config.lake
    if lake.is_s3:
        bucket, _, prefix = lake.url.removeprefix("s3://").partition("/")
        s3_root = f"s3://{bucket}/{prefix.strip('/') + '/' if prefix.strip('/') else ''}"
    else:
        s3_root = f"s3://{DEFAULT_BUCKET}/"
    local_lake = ".glueflake/lake" if lake.is_s3 else lake.url
    warehouse = config.warehouse
    duckdb_path = (
        warehouse.path
        if isinstance(warehouse, DuckDBWarehouse)
        else DuckDBWarehouse.model_fields["path"].default
    )
    demo_entities = [f"{s}.{e}" for s, e in config.entities() if config.sources[s].is_demo] or [
        f"{s}.{e}" for s, e in config.entities()
    ]
    return ArchitectureLabels(
        apis="\n".join(["REST APIs", *_listing(api_lines)]),
        glue_job="Glue 5.0 extract job\nglue/extract_api.py",
        load_job="Glue 5.0 load + transform job\nglue/load_transform.py\n"
        "glueflake load, dbt build, freshness",
        s3_lake="\n".join([f"S3 lake {s3_root}", "raw/<source>/<entity>/ + _manifests/"]),
        landing_snowflake="\n".join(["Snowflake landing tables", *_listing(tables)]),
        dbt_prod="dbt build on Snowflake\nraw > transform > mart",
        demo_api="\n".join([f"demo REST API (seed {config.demo.seed})", *_listing(demo_entities)]),
        local_lake=f"local lake\n{local_lake}",
        duckdb="\n".join([f"DuckDB {duckdb_path}", *_listing(tables)]),
        dbt_local="dbt build on DuckDB\nraw > transform > mart",
    )


def render_architecture(config: PipelineConfig, out_path: Path) -> Path:
    """Draw the architecture picture for a config.

    Args:
        config: the pipeline whose names are written on the boxes.
        out_path: the image to write; the format comes from its suffix (png, svg,
            pdf or jpg).

    Returns:
        ``out_path``.

    Raises:
        DiagramError: `dot` is missing, the suffix is not a format `diagrams`
            writes, or drawing failed.
    """
    require_dot()
    fmt = out_path.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf", "jpg"):
        raise DiagramError(f"{out_path}: the architecture picture is written as png/svg/pdf/jpg")
    labels = architecture_labels(config)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _draw(labels, out_path.with_suffix(""), fmt)
    except DiagramError:
        raise
    except Exception as exc:  # graphviz and diagrams raise assorted errors
        raise DiagramError(f"could not draw {out_path}: {exc}") from exc
    if not out_path.is_file():
        raise DiagramError(f"drawing finished but {out_path} was not written")
    return out_path


def _draw(labels: ArchitectureLabels, stem: Path, fmt: str) -> None:
    """Build the picture with `diagrams` (imported here: only drawing needs it).

    The package is imported by name: a checkout's own ``diagrams/`` folder of PNGs
    would otherwise shadow it for the type checker (the package ships no types).
    """
    dg = import_module("diagrams")
    Cluster, Diagram, Edge = dg.Cluster, dg.Diagram, dg.Edge
    Storage = import_module("diagrams.generic.storage").Storage
    Dbt = import_module("diagrams.onprem.analytics").Dbt
    Duckdb = import_module("diagrams.onprem.database").Duckdb
    Python = import_module("diagrams.programming.language").Python

    graph_attr = {
        "fontsize": "22",
        "pad": "0.6",
        "nodesep": "0.9",
        "ranksep": "1.3",
        "splines": "spline",
        "bgcolor": "white",
    }
    node_attr = {"fontsize": "12", "height": "1.2", "width": "1.2"}
    edge_attr = {"fontsize": "11", "fontcolor": "#2D3436"}
    with Diagram(
        "glueflake architecture",
        filename=str(stem),
        outformat=fmt,
        show=False,
        direction="LR",
        graph_attr=graph_attr,
        node_attr=node_attr,
        edge_attr=edge_attr,
    ):
        with Cluster("production: AWS + Snowflake", graph_attr={"fontsize": "16"}):
            _production(labels)
        with Cluster("laptop default: pipeline.yml", graph_attr={"fontsize": "16"}):
            demo = Python(labels.demo_api)
            local_lake = Storage(labels.local_lake)
            duck = Duckdb(labels.duckdb)
            dbt_local = Dbt(labels.dbt_local)
            demo >> Edge(label="glueflake extract") >> local_lake
            local_lake >> Edge(label="glueflake load\n(exactly once)") >> duck
            duck >> Edge(label="glueflake transform") >> dbt_local


def _production(labels: ArchitectureLabels) -> None:
    """The production cluster's boxes and edges (inside the open `Diagram`)."""
    dg = import_module("diagrams")
    Cluster, Edge = dg.Cluster, dg.Edge
    icon = _icons(
        Glue="diagrams.aws.analytics",
        SimpleQueueServiceSqsQueue="diagrams.aws.integration",
        EventbridgeScheduler="diagrams.aws.integration",
        StepFunctions="diagrams.aws.integration",
        EventbridgeRule="diagrams.aws.integration",
        SimpleNotificationServiceSnsTopic="diagrams.aws.integration",
        IdentityAndAccessManagementIamRole="diagrams.aws.security",
        SecretsManager="diagrams.aws.security",
        SimpleStorageServiceS3Bucket="diagrams.aws.storage",
        Dbt="diagrams.onprem.analytics",
        Internet="diagrams.onprem.network",
        Snowflake="diagrams.saas.analytics",
    )
    Glue, Snowflake, Dbt = icon["Glue"], icon["Snowflake"], icon["Dbt"]
    S3Bucket, Secrets = icon["SimpleStorageServiceS3Bucket"], icon["SecretsManager"]
    IamRole = icon["IdentityAndAccessManagementIamRole"]
    Scheduler, StepFunctions = icon["EventbridgeScheduler"], icon["StepFunctions"]
    Rule, Topic = icon["EventbridgeRule"], icon["SimpleNotificationServiceSnsTopic"]
    SimpleQueueServiceSqsQueue, Internet = icon["SimpleQueueServiceSqsQueue"], icon["Internet"]

    apis = Internet(labels.apis)
    with Cluster("AWS account (infra/glueflake.yml)"):
        schedule = Scheduler("EventBridge Scheduler\ndaily, State on/off")
        chain = StepFunctions("Step Functions chain\none run at a time")
        job = Glue(labels.glue_job)
        load_job = Glue(labels.load_job)
        secrets = Secrets("Secrets Manager\n--secrets-id")
        lake = S3Bucket(labels.s3_lake)
        role = IamRole("storage-integration\nIAM role (read lake)")
        rule = Rule("EventBridge rules\njob / chain failed")
        topic = Topic("SNS alert topic\n(e-mail)")
    with Cluster("Snowflake account (snowflake/*.sql)"):
        queue = SimpleQueueServiceSqsQueue("Snowpipe SQS queue\n(same region as bucket)")
        pipe = Snowflake("external stage\n(+ Snowpipe AUTO_INGEST)")
        landing = Snowflake(labels.landing_snowflake)
        dbt_prod = Dbt(labels.dbt_prod)
    schedule >> Edge(label="starts") >> chain
    chain >> Edge(label="1. startJobRun.sync") >> job
    chain >> Edge(label="2. startJobRun.sync") >> load_job
    secrets >> Edge(style="dashed") >> job
    secrets >> Edge(style="dashed") >> load_job
    apis >> Edge(label="HTTPS JSON pages") >> job
    job >> Edge(label="gzip NDJSON,\nmanifest last") >> lake
    lake >> Edge(label="s3:ObjectCreated\n(mode snowpipe)") >> queue
    queue >> Edge(label="new file") >> pipe
    lake >> Edge(label="read lake prefix", style="dashed") >> role
    role >> Edge(label="storage integration", style="dashed") >> pipe
    pipe >> Edge(label="COPY INTO") >> landing
    load_job >> Edge(label="COPY (mode copy) or\nwait for the pipes") >> landing
    load_job >> Edge(label="dbt build --target prod\n+ source freshness") >> dbt_prod
    landing >> Edge(label="sources") >> dbt_prod
    job >> Edge(label="FAILED / TIMEOUT", color="firebrick", style="dashed") >> rule
    load_job >> Edge(color="firebrick", style="dashed") >> rule
    chain >> Edge(label="FAILED / TIMED_OUT", color="firebrick", style="dashed") >> rule
    rule >> Edge(label="alert", color="firebrick") >> topic


def _icons(**modules: str) -> dict[str, Any]:
    """The `diagrams` node classes by name, each from its module."""
    return {name: getattr(import_module(module), name) for name, module in modules.items()}
