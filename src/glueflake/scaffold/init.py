"""`glueflake init DIR`: a new project that runs the whole pipeline on the demo API.

The project is a copy of glueflake's reference project (the files under
``template/``, links to the repository's own in a source checkout, copies in an
installed wheel): the config, the dbt project (models, macros, seeds, snapshots,
data tests), profiles, and a Makefile and .gitignore written here. `glueflake run`
in it extracts the bundled demo API, loads DuckDB and builds every layer;
`glueflake add-source` then adds the user's own API beside the demo.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from glueflake.scaffold.probe import ScaffoldError

TEMPLATE = Path(__file__).parent / "template"

MAKEFILE = """\
# glueflake project. `make demo` runs the whole pipeline on the bundled demo API.
GLUEFLAKE ?= glueflake

.PHONY: demo run extract load transform status clean

demo: run

run:
\t$(GLUEFLAKE) run

extract:
\t$(GLUEFLAKE) extract

load:
\t$(GLUEFLAKE) load

transform:
\t$(GLUEFLAKE) transform

status:
\t$(GLUEFLAKE) status

clean:
\trm -rf .glueflake target logs
"""

GITIGNORE = """\
.glueflake/
target/
logs/
dbt_packages/
"""


def init_project(directory: Path) -> list[Path]:
    """Write a new project into `directory` (missing or empty).

    Returns:
        The top-level files and folders written.

    Raises:
        ScaffoldError: `directory` holds files already, or the template is missing.
    """
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ScaffoldError(f"{directory}: exists and is not an empty folder")
    if not (TEMPLATE / "dbt_project.yml").is_file():
        raise ScaffoldError(f"glueflake's project template is missing ({TEMPLATE})")
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for item in sorted(TEMPLATE.iterdir()):
        target = directory / item.name
        if item.is_dir():
            shutil.copytree(item, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(item, target)
        written.append(target)
    for name, text in (("Makefile", MAKEFILE), (".gitignore", GITIGNORE)):
        (directory / name).write_text(text, encoding="utf-8")
        written.append(directory / name)
    return written
