"""The report for decision makers: one HTML page (and a PDF) per run of the notebooks, no code.

Its content (`analysis.report_doc`) is assembled from what the notebooks published: tables read
back from the published CSV files (so small cells stay suppressed), figures inline, areas named
in English and Khmer, proportions as per cents with their 95% intervals named, the selection and
period in every title, a "SYNTHETIC DATA" banner whenever the register is synthetic, and the
caveats. The page is self-contained (figures and the Khmer font embedded): it can be sent as one
file.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path

from ._executed import BANNER
from .report_doc import KEY_RESULTS, SOURCES, Report, build_report

__all__ = ["build_report", "to_html", "write_report"]


# -- HTML ------------------------------------------------------------------------------------
CSS = """
body{font-family:"Segoe UI",Roboto,"Noto Sans","Khmer UI",KhmerReport,sans-serif;margin:0;
color:#1a1a1a;line-height:1.45}
main{max-width:1000px;margin:0 auto;padding:18px 28px 40px}
h1{font-size:24px;margin:10px 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #2c7bb6}
h3{font-size:15px;margin:18px 0 6px}
.banner{background:#b00020;color:#fff;padding:10px 28px;font-weight:bold;font-size:15px}
.facts td{padding:1px 14px 1px 0;font-size:13px;vertical-align:top}.facts td:first-child{color:#555}
table.data{border-collapse:collapse;font-size:13px;margin:4px 0 6px}
table.data th{background:#eef3f8;text-align:left;padding:4px 8px;border-bottom:1px solid #999}
table.data td{padding:3px 8px;border-bottom:1px solid #ddd}
td.hidden{color:#777;font-style:italic}
figure{margin:10px 0 18px}figure img{max-width:100%;border:1px solid #eee}
figcaption,.note{font-size:12.5px;color:#444}
.caveats{background:#fff8e1;border-left:4px solid #f0b400;padding:6px 14px;font-size:13px}
footer{font-size:11.5px;color:#555;margin-top:30px}
"""


def _font_face() -> str:
    """Noto Sans Khmer (the register's report font, SIL OFL) embedded for Khmer letters, so the
    names show on a machine without a Khmer font."""
    try:
        from register.report_pdf import font_path

        data = base64.b64encode(font_path().read_bytes()).decode()
    except (ImportError, OSError):
        return ""
    return ("@font-face{font-family:KhmerReport;src:url(data:font/ttf;base64," + data
            + ") format('truetype');unicode-range:U+1780-17FF,U+19E0-19FF;}")


def _esc(text: str) -> str:
    return html.escape(text or "")


def to_html(report: Report) -> str:
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>{_esc(report.title)}</title><style>{_font_face()}{CSS}</style></head><body>"]
    if report.synthetic:
        parts.append(f"<div class='banner' id='synthetic-banner'>{_esc(BANNER)}</div>")
    parts.append(f"<main><h1>{_esc(report.title)}</h1><h3>{_esc(report.selection)}</h3>")
    parts.append("<table class='facts'>" + "".join(
        f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in report.facts) + "</table>")
    how = ("<h2>How to read this report</h2><ul class='caveats'>"
           + "".join(f"<li>{_esc(c)}</li>"
                     for c in report.general[1 if report.synthetic else 0:]) + "</ul>")
    for block in report.blocks:
        if block.kind == "heading":
            if block.text != KEY_RESULTS:  # how to read: after the key results
                parts.append(how)
                how = ""
            parts.append(f"<h2>{_esc(block.text)}</h2>")
        elif block.kind == "text":
            parts.append(f"<p>{_esc(block.text)}</p>")
        elif block.kind == "caveats":
            parts.append(f"<div class='caveats'><b>{_esc(block.text)}</b><ul>"
                         + "".join(f"<li>{_esc(c)}</li>" for c in block.items) + "</ul></div>")
        elif block.kind == "figure" and block.image is not None:
            data = base64.b64encode(block.image.read_bytes()).decode()
            parts.append(f"<figure><img alt='{_esc(block.text)}' src='data:image/png;base64,"
                         f"{data}'><figcaption>{_esc(block.text)}"
                         + (f"<br>{_esc(block.note)}" if block.note else "")
                         + "</figcaption></figure>")
        elif block.kind == "table":
            head = "".join(f"<th>{_esc(h)}</th>" for h in block.header)
            body = []
            for row in block.rows:
                cells = "".join(
                    f"<td class='hidden'>{_esc(c)}</td>" if c.startswith("not shown")
                    else f"<td>{_esc(c)}</td>" for c in row)
                body.append(f"<tr>{cells}</tr>")
            parts.append(f"<h3>{_esc(block.text)}</h3><table class='data'><tr>{head}</tr>"
                         + "".join(body) + "</table>"
                         + (f"<p class='note'>{_esc(block.note)}</p>" if block.note else ""))
    parts.append(how)
    parts.append(f"<footer>{_esc(SOURCES)} Every table and figure traces back to its inputs "
                 "through the manifest.json of its notebook's results folder.</footer>")
    parts.append("</main></body></html>")
    return "".join(parts)


def write_report(runs: list[Path], results: Path, *, pdf: bool = True) -> Path:
    """Write ``report.html`` (and ``report.pdf``) for ``runs`` under ``results/report/``; the
    folder is named by the runs' inputs and settings. Returns the HTML file."""
    manifests = [json.loads((r / "manifest.json").read_text(encoding="utf-8")) for r in runs]
    digest = hashlib.sha256("".join(m["inputs_sha256"] for m in manifests).encode()).hexdigest()
    settings = sorted({m["settings"] for m in manifests if m["settings"] != "defaults"})
    code = manifests[0]["code_version"] if manifests else "0"
    name = f"{code}_{digest[:12]}" + ("_" + "_".join(settings) if settings else "")
    folder = results / "report" / name[:120]
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(runs)
    page = folder / "report.html"
    page.write_text(to_html(report), encoding="utf-8")
    (folder / "runs.json").write_text(json.dumps(
        [{"notebook": m["notebook"], "folder": r.relative_to(results).as_posix(),
          "inputs_sha256": m["inputs_sha256"]} for r, m in zip(runs, manifests, strict=True)],
        indent=1), encoding="utf-8")
    if pdf:
        from .report_pdf import write_pdf

        write_pdf(report, folder / "report.pdf")
    return page
