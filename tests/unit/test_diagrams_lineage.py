"""The lineage DOT builder: a hand-made manifest in, DOT text out (no dbt, no dot)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from glueflake.diagrams.errors import DiagramError
from glueflake.diagrams.lineage import (
    LAYER_STYLES,
    graph_dot,
    lineage_dot,
    lineage_graph,
    model_layer,
)
from glueflake.diagrams.manifest import read_manifest


def _model(name: str, folder: str, deps: list[str], package: str = "shop") -> dict[str, Any]:
    return {
        "unique_id": f"model.{package}.{name}",
        "resource_type": "model",
        "package_name": package,
        "name": name,
        "fqn": [package, folder, name],
        "original_file_path": f"models/{folder}/{name}.sql",
        "depends_on": {"macros": [], "nodes": deps},
    }


def _manifest() -> dict[str, Any]:
    src_orders = "source.shop.landing.shop__orders"
    src_customers = "source.shop.landing.shop__customers"
    nodes: dict[str, Any] = {}
    for node in [
        _model("raw_orders", "raw", [src_orders]),
        _model("raw_customers", "raw", [src_customers]),
        _model("int_orders", "transform", ["model.shop.raw_orders", "seed.shop.rates"]),
        _model("fct_orders", "mart", ["model.shop.int_orders", "snapshot.shop.snap_customers"]),
        _model("scratch", "misc", ["model.shop.raw_orders"]),
        _model("pkg_model", "raw", [], package="other_pkg"),
        {
            "unique_id": "seed.shop.rates",
            "resource_type": "seed",
            "package_name": "shop",
            "name": "rates",
            "fqn": ["shop", "rates"],
            "depends_on": {"macros": []},
        },
        {
            "unique_id": "snapshot.shop.snap_customers",
            "resource_type": "snapshot",
            "package_name": "shop",
            "name": "snap_customers",
            "fqn": ["shop", "snap_customers"],
            "depends_on": {"macros": [], "nodes": ["model.shop.raw_customers"]},
        },
        {
            "unique_id": "test.shop.not_null_fct_orders_id.abc",
            "resource_type": "test",
            "package_name": "shop",
            "name": "not_null_fct_orders_id",
            "fqn": ["shop", "not_null_fct_orders_id"],
            "depends_on": {"macros": [], "nodes": ["model.shop.fct_orders"]},
        },
    ]:
        nodes[node["unique_id"]] = node
    sources = {
        uid: {
            "unique_id": uid,
            "resource_type": "source",
            "package_name": "shop",
            "source_name": "landing",
            "name": uid.rsplit(".", 1)[1],
            "fqn": ["shop", "raw", "landing", uid.rsplit(".", 1)[1]],
        }
        for uid in (src_orders, src_customers)
    }
    return {
        "metadata": {"project_name": "shop"},
        "nodes": nodes,
        "sources": sources,
        "unit_tests": {"unit_test.shop.int_orders.t": {"resource_type": "unit_test"}},
    }


def test_nodes_by_layer() -> None:
    graph = lineage_graph(_manifest())
    layers = {layer: [n.label for n in members] for layer, members in graph.by_layer().items()}
    assert layers == {
        "source": ["landing.shop__customers", "landing.shop__orders"],
        "seed": ["rates"],
        "raw": ["pkg_model", "raw_customers", "raw_orders"],
        "snapshot": ["snap_customers"],
        "transform": ["int_orders"],
        "mart": ["fct_orders"],
        "other": ["scratch"],
    }
    assert not any(n.unique_id.startswith(("test.", "unit_test.")) for n in graph.nodes)


def test_package_filter_leaves_out_installed_packages() -> None:
    graph = lineage_graph(_manifest(), package="shop")
    assert "model.other_pkg.pkg_model" not in {n.unique_id for n in graph.nodes}
    assert len(graph.nodes) == 9


def test_edges_come_from_depends_on_between_drawn_nodes() -> None:
    graph = lineage_graph(_manifest(), package="shop")
    assert set(graph.edges) == {
        ("source.shop.landing.shop__orders", "model.shop.raw_orders"),
        ("source.shop.landing.shop__customers", "model.shop.raw_customers"),
        ("model.shop.raw_orders", "model.shop.int_orders"),
        ("seed.shop.rates", "model.shop.int_orders"),
        ("model.shop.int_orders", "model.shop.fct_orders"),
        ("snapshot.shop.snap_customers", "model.shop.fct_orders"),
        ("model.shop.raw_customers", "snapshot.shop.snap_customers"),
        ("model.shop.raw_orders", "model.shop.scratch"),
    }
    # the test node's edge to fct_orders is not drawn
    assert all(not child.startswith("test.") for _, child in graph.edges)


def test_dot_is_left_to_right_with_every_node_and_edge() -> None:
    dot = lineage_dot(_manifest(), package="shop")
    assert dot.startswith("digraph lineage {")
    assert 'rankdir="LR"' in dot
    graph = lineage_graph(_manifest(), package="shop")
    for node in graph.nodes:
        assert f'"{node.unique_id}" [label="{node.label}"' in dot
    arrows = re.findall(r'^\s+"([^"]+)" -> "([^"]+)";$', dot, flags=re.MULTILINE)
    assert sorted(arrows) == sorted(graph.edges)


def test_nodes_are_coloured_by_layer() -> None:
    dot = lineage_dot(_manifest(), package="shop")
    fills = dict(re.findall(r'^\s+"([^"]+)" \[label="[^"]*", fillcolor="([^"]+)"', dot, re.M))
    assert fills["source.shop.landing.shop__orders"] == LAYER_STYLES["source"].fill
    assert fills["seed.shop.rates"] == LAYER_STYLES["seed"].fill
    assert fills["model.shop.raw_orders"] == LAYER_STYLES["raw"].fill
    assert fills["model.shop.int_orders"] == LAYER_STYLES["transform"].fill
    assert fills["model.shop.fct_orders"] == LAYER_STYLES["mart"].fill
    assert fills["snapshot.shop.snap_customers"] == LAYER_STYLES["snapshot"].fill
    assert fills["model.shop.scratch"] == LAYER_STYLES["other"].fill
    # six distinct layers drawn in six distinct colours
    assert len({s.fill for s in LAYER_STYLES.values()}) == len(LAYER_STYLES)


def test_one_cluster_per_layer_and_none_when_asked() -> None:
    dot = lineage_dot(_manifest(), package="shop")
    clusters = re.findall(r'subgraph "cluster_(\w+)"', dot)
    assert clusters == ["source", "seed", "raw", "snapshot", "transform", "mart", "other"]
    assert "subgraph" not in lineage_dot(_manifest(), clusters=False)


def test_output_is_deterministic_whatever_the_dict_order() -> None:
    manifest = _manifest()
    expected = lineage_dot(manifest)
    rng = random.Random(7)
    for _ in range(5):
        items = list(manifest["nodes"].items())
        rng.shuffle(items)
        shuffled = {**manifest, "nodes": dict(items)}
        assert lineage_dot(shuffled) == expected


def test_labels_are_escaped() -> None:
    manifest = {"nodes": {"model.p.q": _model('we"ird\\name', "mart", [], package="p")}}
    manifest["nodes"]["model.p.q"]["unique_id"] = "model.p.q"
    dot = lineage_dot(manifest)
    assert 'label="we\\"ird\\\\name"' in dot


def test_empty_manifest_gives_an_empty_graph() -> None:
    graph = lineage_graph({"nodes": {}, "sources": {}})
    assert graph.nodes == () and graph.edges == ()
    assert graph_dot(graph).rstrip().endswith("}")


@pytest.mark.parametrize(
    ("node", "layer"),
    [
        ({"fqn": ["p", "mart", "x"]}, "mart"),
        ({"fqn": ["p", "x"], "original_file_path": "models/transform/x.sql"}, "transform"),
        ({"fqn": ["p", "staging", "x"], "original_file_path": "models/staging/x.sql"}, "other"),
    ],
)
def test_model_layer_from_folder(node: dict[str, Any], layer: str) -> None:
    assert model_layer(node) == layer


def test_read_manifest_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DiagramError, match="no dbt manifest"):
        read_manifest(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DiagramError, match="not valid JSON"):
        read_manifest(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}), encoding="utf-8")
    with pytest.raises(DiagramError, match="not a dbt manifest"):
        read_manifest(other)


def test_python_models_are_drawn_in_their_layer_and_labelled() -> None:
    manifest = _manifest()
    node = _model("customer_segments", "mart", ["model.shop.fct_orders"])
    node["language"] = "python"
    node["original_file_path"] = "models/mart/customer_segments.py"
    manifest["nodes"][node["unique_id"]] = node
    graph = lineage_graph(manifest, package="shop")
    drawn = {n.unique_id: n for n in graph.nodes}["model.shop.customer_segments"]
    assert (drawn.layer, drawn.label) == ("mart", "customer_segments (python)")
    assert ("model.shop.fct_orders", "model.shop.customer_segments") in graph.edges
    assert {n.label for n in graph.nodes if n.unique_id == "model.shop.fct_orders"} == {
        "fct_orders"
    }
