"""The bundled demo REST API: REST Countries v3.1 and a small shop, over real HTTP.

Deterministic for a given ``seed``, ``scale``, simulated ``day`` and ``hour`` (see
``docs/contracts.md``). The HTTP server is in ``server``; the pure data functions
below compute the same records without HTTP, for tests and benchmarks.
"""

from __future__ import annotations

from glueflake.demo_api.clock import default_day, iso, parse_instant
from glueflake.demo_api.countries import countries, countries_json
from glueflake.demo_api.customers import (
    count_customers,
    customer_record,
    customers_page,
    iter_customers,
)
from glueflake.demo_api.orders import count_orders, iter_orders, order_record, orders_page
from glueflake.demo_api.server import DemoServer, serve
from glueflake.demo_api.settings import DemoSettings
from glueflake.demo_api.world import ORDER_CURRENCIES

__all__ = [
    "ORDER_CURRENCIES",
    "DemoServer",
    "DemoSettings",
    "count_customers",
    "count_orders",
    "countries",
    "countries_json",
    "customer_record",
    "customers_page",
    "default_day",
    "iso",
    "iter_customers",
    "iter_orders",
    "order_record",
    "orders_page",
    "parse_instant",
    "serve",
]
