"""Posting a run's outcome to the webhook of the config's ``notify:`` section.

The message is short JSON (``text`` for chat webhooks, plus the run's id, outcome,
error, counts and seconds); the webhook URL is a secret and never printed. A
webhook that fails is reported on stderr and never fails the run.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from glueflake.config import Notify

logger = logging.getLogger(__name__)


def message(doc: dict[str, Any]) -> dict[str, Any]:
    """The JSON posted for a run document (see glueflake.history.run_doc)."""
    extract, load = doc.get("extract") or {}, doc.get("load") or {}
    records = (extract.get("totals") or {}).get("records")
    rows = (load.get("totals") or {}).get("rows_loaded")
    outcome = "succeeded" if doc.get("ok") else "failed"
    text = f"glueflake run {doc.get('run_id')} {outcome}"
    if records is not None:
        text += f": {records:,} records extracted, {rows or 0:,} rows loaded"
    if doc.get("error"):
        text += f"; {str(doc['error']).splitlines()[0]}"
    return {
        "text": text,
        "run_id": doc.get("run_id"),
        "ok": bool(doc.get("ok")),
        "error": doc.get("error"),
        "records_extracted": records,
        "rows_loaded": rows,
        "seconds": doc.get("seconds"),
    }


def notify_run(notify: Notify | None, doc: dict[str, Any]) -> str | None:
    """POST the run's message if `notify` asks for it; a problem is returned, not raised.

    Returns:
        None when sent or not asked for, else one line saying why it was not delivered
        (the URL left out: it carries the webhook's token).
    """
    if notify is None or (notify.when == "failure" and doc.get("ok")):
        return None
    try:
        response = httpx.post(
            notify.webhook.get_secret_value(), json=message(doc), timeout=notify.timeout
        )
    except httpx.HTTPError as exc:
        return f"notify: the webhook could not be reached ({type(exc).__name__})"
    if not response.is_success:
        return f"notify: the webhook answered HTTP {response.status_code}"
    logger.debug("notify: posted run %s", doc.get("run_id"))
    return None
