"""Configuration of one dbt invocation."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PositiveInt


class DbtSettings(BaseModel):
    """Where the dbt project is, which target to build and how.

    Attributes:
        project_dir: Directory holding ``dbt_project.yml``.
        profiles_dir: Directory holding ``profiles.yml`` (the repo root by default).
        target: Profile target: ``dev`` and ``ci`` are DuckDB, ``prod`` Snowflake.
        duckdb_path: DuckDB file for the ``dev``/``ci`` targets; set as the
            profile's ``GLUEFLAKE__WAREHOUSE__PATH`` for the duration of the
            invocation. Its parent directory is created.
        vars: Project variables (``--vars``), e.g. ``{"landing_schema": "landing"}``.
        threads: dbt threads; None keeps the profile's.
        full_refresh: Rebuild incremental models from scratch (``--full-refresh``).
        target_path: dbt's ``target/`` (compiled SQL, artifacts); defaults to
            ``<project_dir>/target``. Give each concurrent process its own.
        log_path: dbt's log directory; defaults to ``<project_dir>/logs``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    project_dir: Path
    profiles_dir: Path
    target: str = "dev"
    duckdb_path: Path | None = None
    vars: dict[str, object] = Field(default_factory=dict)
    threads: PositiveInt | None = None
    full_refresh: bool = False
    target_path: Path | None = None
    log_path: Path | None = None

    @property
    def resolved_target_path(self) -> Path:
        """Absolute path of dbt's target directory."""
        return (self.target_path or self.project_dir / "target").resolve()

    @property
    def resolved_log_path(self) -> Path:
        """Absolute path of dbt's log directory."""
        return (self.log_path or self.project_dir / "logs").resolve()
