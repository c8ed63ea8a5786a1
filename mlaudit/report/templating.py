"""Finding and loading the jinja2 templates shipped in `templates/`.

In a wheel the folder is installed as `mlaudit/templates`; in a source checkout
it sits beside the package. Both are looked up, wheel location first.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

_PACKAGE = Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """The folder holding the report templates (raises if the installation lacks it)."""
    for candidate in (_PACKAGE / "templates", _PACKAGE.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("mlaudit's templates folder is missing from this installation; reinstall mlaudit")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no pipes, newlines or raw HTML."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ").replace("`", "'")


@functools.cache
def environment() -> jinja2.Environment:
    """The templates' environment, built once per process: jinja2 compiles each template on first use and
    keeps it here (an environment is safe to share between threads)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=jinja2.select_autoescape(["html", "htm", "html.j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = md_cell
    return env
