"""Make ``docs/report-km-page1.png``: the first page of the Khmer monthly report of a synthetic
commune (everything in it is synthetic).

    .venv/bin/python docs/make_report_image.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import register  # noqa: E402
from bench.bench_report import synthetic_commune  # noqa: E402
from register import i18n  # noqa: E402
from register.report import monthly_report  # noqa: E402
from register.report_pdf import write_report  # noqa: E402


def main() -> None:
    i18n.set_language("km")
    with tempfile.TemporaryDirectory() as folder:
        db, pdf = Path(folder) / "commune.db", Path(folder) / "report.pdf"
        synthetic_commune(db, 1000)
        with register.open_register(db) as reg:
            write_report(monthly_report(reg, "2025-10"), pdf)
        doc = pdfium.PdfDocument(str(pdf))
        out = ROOT / "docs" / "report-km-page1.png"
        doc[0].render(scale=1.5).to_pil().convert("L").save(out, optimize=True)
        doc.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
