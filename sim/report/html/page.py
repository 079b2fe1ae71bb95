"""One self-contained HTML file: the page's code, the vendored libraries and the data.

Everything is inline, so the file opens from disk with no network and no server.
The data is JSON, gzip-compressed and base64-encoded in a ``<script type=
"application/octet-stream">`` element; the page inflates it with the browser's own
``DecompressionStream``. A library or data never contains ``</script`` unescaped.
"""

from __future__ import annotations

import base64
import gzip
import html
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from sim.errors import LogError

# parts of the data in blocks of their own: inflated while the page starts, parsed only
# when first shown (JSON.parse is the cost of a big part; the provenance is the biggest)
DEFERRED = {"run": ("provenance",), "experiment": ()}
VENDOR_SCRIPTS: dict[str, tuple[str, ...]] = {"run": (), "experiment": ()}
# libraries run only when first needed (the charts: not before the metrics tab opens);
# kept as text in the page, so that starting the page does not compile them
LATER_SCRIPTS = {"run": {"uPlot": "uPlot.iife.min.js"}, "experiment": {}}
VENDOR_STYLES = {"run": ("uPlot.min.css",), "experiment": ()}
SCRIPTS = {"run": ("common.js", "graph.js", "run.js"), "experiment": ("common.js", "experiment.js")}


def _asset(folder: str, name: str) -> str:
    return resources.files("sim.report.html").joinpath(folder, name).read_text(encoding="utf-8")


def _escaped(code: str) -> str:
    return code.replace("</script", "<\\/script")


def _script(code: str) -> str:
    return "<script>\n" + _escaped(code) + "\n</script>"


def _kept_script(name: str, file: str) -> str:
    code = _escaped(_asset("vendor", file))
    return f'<script type="text/plain" data-library="{name}">\n{code}\n</script>'


def encode_data(data: Any) -> str:
    """The page's data as base64 of gzip of compact JSON (deterministic: mtime 0)."""
    raw = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def _data_block(element_id: str, data: Any) -> str:
    return (
        f'<script type="application/octet-stream" id="{element_id}" '
        f'data-encoding="gzip+base64">{encode_data(data)}</script>'
    )


def render_page(kind: str, title: str, data: Any) -> str:
    """The whole HTML document of a report of `kind` ("run" or "experiment")."""
    styles = [_asset("vendor", name) for name in VENDOR_STYLES[kind]]
    styles.append(_asset("assets", "report.css"))
    # common.js first: it starts inflating the data while the libraries compile
    scripts = [_asset("assets", "common.js")]
    scripts += [_asset("vendor", name) for name in VENDOR_SCRIPTS[kind]]
    scripts += [_asset("assets", name) for name in SCRIPTS[kind] if name != "common.js"]
    body = _asset("assets", f"{kind}.html")
    parts = {name: data[name] for name in DEFERRED[kind] if name in data}
    data = {name: value for name, value in data.items() if name not in parts}
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            *(f"<style>\n{css}\n</style>" for css in styles),
            "</head>",
            f'<body class="report-{kind}">',
            body,
            _data_block("intelsim-data", data),
            *(_data_block(f"intelsim-{name}", part) for name, part in parts.items()),
            *(_kept_script(name, file) for name, file in LATER_SCRIPTS[kind].items()),
            *(_script(code) for code in scripts),
            "</body>",
            "</html>",
            "",
        ]
    )


def write_page(path: Path, text: str) -> int:
    """Write the page to `path` (creating its folder); the number of bytes written."""
    data = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        msg = f"cannot write the report {path}: {exc.strerror or exc}"
        raise LogError(msg) from None
    return len(data)
