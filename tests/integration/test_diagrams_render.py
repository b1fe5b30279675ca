"""Both pictures drawn for real: `diagrams` + Graphviz, and a real `dbt parse`."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from glueflake.config import load_config
from glueflake.diagrams import generate_diagrams, lineage_graph, parse_manifest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        shutil.which("dot") is None,
        reason="Graphviz `dot` is not installed (apt-get install graphviz); .ci/run installs it",
    ),
]

REPO = Path(__file__).resolve().parents[2]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if not (REPO / "dbt_project.yml").is_file() or not (REPO / "models").is_dir():
        pytest.skip("the dbt project is not in this checkout")
    target = tmp_path_factory.mktemp("dbt_target")
    return parse_manifest(REPO, REPO, target_path=target)


def test_dbt_parse_gives_every_layer(manifest: dict[str, object]) -> None:
    layers = {node.layer for node in lineage_graph(manifest, package="glueflake").nodes}
    assert {"source", "raw", "transform", "mart"} <= layers


def test_both_pngs_are_drawn(tmp_path: Path, manifest: dict[str, object]) -> None:
    import json

    manifest_file = tmp_path / "manifest.json"
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")
    config = load_config(REPO / "pipeline.yml", environ={})
    paths = generate_diagrams(config, tmp_path / "out", manifest_path=manifest_file)

    arch_w, arch_h = png_size(paths.architecture)
    assert paths.architecture.name == "architecture.png"
    assert 1200 <= arch_w <= 6000 and 600 <= arch_h <= 4000, (arch_w, arch_h)
    assert paths.architecture.stat().st_size > 50_000  # icons, not an empty canvas

    lin_w, lin_h = png_size(paths.lineage)
    assert paths.lineage.name == "lineage.png"
    assert lin_w > lin_h  # left to right
    assert 600 <= lin_w <= 8000 and 200 <= lin_h <= 6000, (lin_w, lin_h)
    assert paths.lineage.stat().st_size > 20_000
    # the architecture's DOT source is removed after drawing; only the pictures stay
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "architecture.png",
        "lineage.png",
    ]


def test_generate_runs_dbt_parse_itself(tmp_path: Path) -> None:
    if not (REPO / "models").is_dir():
        pytest.skip("the dbt project is not in this checkout")
    config = load_config(REPO / "pipeline.yml", environ={})
    paths = generate_diagrams(config, tmp_path / "out", target_path=tmp_path / "target")
    assert (tmp_path / "target" / "manifest.json").is_file()
    assert png_size(paths.lineage)[0] > 600
