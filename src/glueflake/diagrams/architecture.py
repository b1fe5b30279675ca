"""The architecture picture, drawn with the `diagrams` package from the pipeline config.

Two flows, one image: production (REST APIs -> AWS Glue -> S3 lake -> S3 event
notification -> Snowpipe's SQS queue -> Snowflake landing tables -> dbt) and the
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
        glue_job: the Glue job box.
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
        glue_job="AWS Glue 5.0 job\nglue/extract_api.py",
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
    Glue = import_module("diagrams.aws.analytics").Glue
    SimpleQueueServiceSqsQueue = import_module(
        "diagrams.aws.integration"
    ).SimpleQueueServiceSqsQueue
    CloudwatchEventTimeBased = import_module("diagrams.aws.management").CloudwatchEventTimeBased
    IamRole = import_module("diagrams.aws.security").IdentityAndAccessManagementIamRole
    S3Bucket = import_module("diagrams.aws.storage").SimpleStorageServiceS3Bucket
    Storage = import_module("diagrams.generic.storage").Storage
    Dbt = import_module("diagrams.onprem.analytics").Dbt
    Duckdb = import_module("diagrams.onprem.database").Duckdb
    Internet = import_module("diagrams.onprem.network").Internet
    Python = import_module("diagrams.programming.language").Python
    Snowflake = import_module("diagrams.saas.analytics").Snowflake

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
            apis = Internet(labels.apis)
            with Cluster("AWS account (infra/glueflake.yml)"):
                trigger = CloudwatchEventTimeBased("Glue trigger\ndaily cron")
                job = Glue(labels.glue_job)
                lake = S3Bucket(labels.s3_lake)
                role = IamRole("storage-integration\nIAM role (read lake)")
            with Cluster("Snowflake account (snowflake/*.sql)"):
                queue = SimpleQueueServiceSqsQueue("Snowpipe SQS queue\n(Snowflake-managed)")
                pipe = Snowflake("Snowpipe AUTO_INGEST\nexternal stage")
                landing = Snowflake(labels.landing_snowflake)
                dbt_prod = Dbt(labels.dbt_prod)
            trigger >> Edge(label="starts", style="dashed") >> job
            apis >> Edge(label="HTTPS JSON pages") >> job
            job >> Edge(label="gzip NDJSON,\nmanifest last") >> lake
            lake >> Edge(label="s3:ObjectCreated\nevent notification") >> queue
            queue >> Edge(label="new file") >> pipe
            lake >> Edge(label="read lake prefix", style="dashed") >> role
            role >> Edge(label="storage integration\n+ external stage", style="dashed") >> pipe
            pipe >> Edge(label="COPY INTO") >> landing
            landing >> Edge(label="sources") >> dbt_prod
        with Cluster("laptop default: pipeline.yml", graph_attr={"fontsize": "16"}):
            demo = Python(labels.demo_api)
            local_lake = Storage(labels.local_lake)
            duck = Duckdb(labels.duckdb)
            dbt_local = Dbt(labels.dbt_local)
            demo >> Edge(label="glueflake extract") >> local_lake
            local_lake >> Edge(label="glueflake load\n(exactly once)") >> duck
            duck >> Edge(label="glueflake transform") >> dbt_local
