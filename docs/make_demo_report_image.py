"""Make ``docs/report-demo-page1.png``: the first page of the decision makers' report of the demo
(``python3.11 tasks.py demo``; everything in it is synthetic).

    .venv/bin/python docs/make_demo_report_image.py [--report demo/results/report/<run>/report.pdf]

Without ``--report`` the newest report under ``demo/results/report/`` is used.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    report = args.report or max((ROOT / "demo" / "results" / "report").glob("*/report.pdf"),
                                key=lambda p: p.stat().st_mtime)
    doc = pdfium.PdfDocument(str(report))
    out = ROOT / "docs" / "report-demo-page1.png"
    doc[0].render(scale=1.4).to_pil().convert("RGB").quantize(colors=128).save(out, optimize=True)
    doc.close()
    print(f"wrote {out} from {report}")


if __name__ == "__main__":
    main()
