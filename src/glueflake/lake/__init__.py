"""The lake: an object store (local directory or S3), its layout and its manifests."""

from glueflake.lake.layout import (
    DataKey,
    bookmark_key,
    data_key,
    entity_prefix,
    manifest_key,
    manifests_prefix,
    new_run_id,
    parse_data_key,
)
from glueflake.lake.manifest import (
    CursorRange,
    Manifest,
    ManifestFile,
    latest_manifest,
    list_manifests,
    read_manifest,
    write_manifest,
)
from glueflake.lake.store import (
    LocalStore,
    ObjectExistsError,
    ObjectInfo,
    ObjectStore,
    S3Store,
    open_lake,
    open_store,
    sha256_hex,
)

__all__ = [
    "CursorRange",
    "DataKey",
    "LocalStore",
    "Manifest",
    "ManifestFile",
    "ObjectExistsError",
    "ObjectInfo",
    "ObjectStore",
    "S3Store",
    "bookmark_key",
    "data_key",
    "entity_prefix",
    "latest_manifest",
    "list_manifests",
    "manifest_key",
    "manifests_prefix",
    "new_run_id",
    "open_lake",
    "open_store",
    "parse_data_key",
    "read_manifest",
    "sha256_hex",
    "write_manifest",
]
