"""A lake file is read once per load (issue 19): the DuckDB loader hashes the bytes it
localizes and checks them against the manifest before inserting, instead of the plan
reading every pending file first. Each test failed before that change (two reads)."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from lake_builder import LakeBuilder, lake_store, landing_count, make_config, order, query

from glueflake.config import PipelineConfig
from glueflake.lake import LocalStore, new_run_id
from glueflake.load import run_load

pytestmark = pytest.mark.integration


class RemoteStore(LocalStore):
    """A local lake that behaves like S3: no local files, every read counted."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: Counter[str] = Counter()

    def local_path(self, key: str) -> Path | None:
        return None

    def get(self, key: str) -> bytes:
        self.reads[key] += 1
        return super().get(key)


@pytest.fixture
def cfg(tmp_path: Path) -> PipelineConfig:
    return make_config(tmp_path)


@pytest.fixture
def remote(cfg: PipelineConfig) -> RemoteStore:
    return RemoteStore(lake_store(cfg).root)


def _sha256s(cfg: PipelineConfig) -> dict[str, str]:
    return dict(query(cfg, "select file_key, sha256 from _glueflake.load_history"))


def test_each_pending_file_is_downloaded_once_and_its_hash_recorded(
    cfg: PipelineConfig, remote: RemoteStore
) -> None:
    manifest = LakeBuilder(remote).extract([order(i) for i in range(3)], [order(9)])
    summary = run_load(cfg, store=remote)
    assert summary.rows_loaded == 4 and landing_count(cfg) == 4
    keys = [f.key for f in manifest.files]
    assert {k: remote.reads[k] for k in keys} == dict.fromkeys(keys, 1)
    content = {k: hashlib.sha256(LocalStore.get(remote, k)).hexdigest() for k in keys}
    assert _sha256s(cfg) == content


def test_a_downloaded_file_that_does_not_hash_to_its_manifest_is_reported_not_loaded(
    cfg: PipelineConfig, remote: RemoteStore
) -> None:
    lake = LakeBuilder(remote)
    run_id = new_run_id()
    good = lake.write_file([order(1)], run_id=run_id)
    lying = lake.write_file([order(2), order(3)], run_id=run_id).model_copy(
        update={"sha256": "0" * 64}
    )
    lake.commit([good, lying], run_id=run_id)
    summary = run_load(cfg, store=remote)
    result = summary.entities[0]
    assert (result.files_loaded, result.rows_loaded) == (1, 1)
    assert (result.files_changed, result.changed_keys) == (1, [lying.key])
    assert result.changed_reasons[lying.key] == "does not hash to its manifest's sha256"
    assert set(_sha256s(cfg)) == {good.key}
    forced = run_load(cfg, store=remote, force=True)
    assert forced.rows_loaded == 3 and landing_count(cfg) == 3
    assert _sha256s(cfg)[lying.key] == hashlib.sha256(LocalStore.get(remote, lying.key)).hexdigest()


def test_files_on_both_sides_of_one_that_does_not_hash_are_loaded_with_their_own_lines(
    cfg: PipelineConfig, remote: RemoteStore
) -> None:
    lake = LakeBuilder(remote)
    run_id = new_run_id()
    before = lake.write_file([order(1), order(2)], run_id=run_id)
    lying = lake.write_file([order(3)], run_id=run_id).model_copy(update={"sha256": "0" * 64})
    after = lake.write_file([order(4), order(5), order(6)], run_id=run_id)
    lake.commit([before, lying, after], run_id=run_id)
    result = run_load(cfg, store=remote).entities[0]
    assert (result.files_loaded, result.rows_loaded, result.changed_keys) == (2, 5, [lying.key])
    rows = query(
        cfg,
        "select _file_name, _file_row_number, record->>'id' "
        "from landing.shop__orders order by 1, 2",
    )
    assert sorted(rows) == sorted(
        [(before.key, 1, "1"), (before.key, 2, "2")]
        + [(after.key, n, str(n + 3)) for n in (1, 2, 3)]
    )
