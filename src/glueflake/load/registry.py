"""The warehouse backends, by the config's ``warehouse.type``.

`open_warehouse` is how the loader and `status` find the backend; nothing else
dispatches on the type. A new warehouse is one subpackage with a class that follows
`glueflake.load.warehouse.Warehouse`, plus its config model, registered together with
`register_warehouse` (the built-in ones are in `BACKENDS` below).
"""

from __future__ import annotations

from collections.abc import Callable

from glueflake.config import (
    DuckDBWarehouse,
    PipelineConfig,
    SnowflakeWarehouse,
    WarehouseSettings,
    model_tag,
    register_warehouse_model,
)
from glueflake.errors import LoadError
from glueflake.load.duckdb import DuckDBBackend
from glueflake.load.snowflake import SnowflakeBackend
from glueflake.load.warehouse import Warehouse

#: Makes the backend for a config (connecting nothing yet); a backend class fits.
WarehouseFactory = Callable[[PipelineConfig], Warehouse]

BACKENDS: dict[str, WarehouseFactory] = {
    model_tag(DuckDBWarehouse): DuckDBBackend,
    model_tag(SnowflakeWarehouse): SnowflakeBackend,
}


def register_warehouse(model: type[WarehouseSettings], factory: WarehouseFactory) -> None:
    """Add a warehouse: its config model (``type`` a one-tag Literal) and its backend.

    After this, ``warehouse: {type: <tag>, ...}`` validates against `model`, and
    `glueflake load` and `glueflake status` use `factory`'s backend.
    """
    register_warehouse_model(model)
    BACKENDS[model_tag(model)] = factory


def open_warehouse(cfg: PipelineConfig) -> Warehouse:
    """The backend for ``cfg.warehouse.type``, bound to `cfg` (not connected yet).

    Raises:
        LoadError: no backend is registered for the type.
    """
    factory = BACKENDS.get(cfg.warehouse.type)
    if factory is None:
        known = ", ".join(sorted(BACKENDS))
        raise LoadError(f"warehouse.type: no loader for {cfg.warehouse.type!r} (known: {known})")
    return factory(cfg)
