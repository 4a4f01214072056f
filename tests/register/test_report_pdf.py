"""The printed report: its pages, rasterised (pypdfium2) and looked at.

* no page is blank; the confidential pages, and only they, carry the red CONFIDENTIAL banner;
  the names are on them and nowhere in the public version;
* the Khmer title is shaped: the rasterised title matches the title shaped by HarfBuzz (Pillow's
  Raqm layout, an independent path to HarfBuzz) far better than the same text left unshaped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

import register
from register import i18n
from register.report import monthly_report
from register.report_pdf import TITLE, font_path, write_report
from register.report_public import public_version
from tests.register.test_report import TODAY, busy_month, commune, commune_db  # noqa: F401

SCALE = 3  # 216 dots per inch
ROOT = Path(__file__).resolve().parents[2]


def _px(mm: float) -> int:
    return round(mm / 25.4 * 72 * SCALE)


def _pages(path: Path) -> list[Image.Image]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [page.render(scale=SCALE).to_pil().convert("RGB") for page in doc]
    finally:
        doc.close()


def _texts(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def _red_banner(page: Image.Image) -> bool:
    """Red ink in the band under the running head, where the CONFIDENTIAL banner goes."""
    band = np.asarray(page.crop((0, _px(15), page.width, _px(30))), dtype=int)
    red = (band[..., 0] > 120) & (band[..., 1] < 80) & (band[..., 2] < 80)
    return red.sum() > 500


@pytest.fixture(scope="module")
def reports(commune_db, busy_month, tmp_path_factory):  # noqa: F811
    folder = tmp_path_factory.mktemp("pdf")
    made = {}
    try:
        with register.open_register(commune_db) as reg:
            for lang in ("km", "en"):
                i18n.set_language(lang)
                for public in (False, True):
                    report = monthly_report(reg, busy_month, today=TODAY)
                    report = public_version(report) if public else report
                    path = folder / f"{lang}-{'public' if public else 'internal'}.pdf"
                    write_report(report, path)
                    made[lang, public] = (report, path)
    finally:
        i18n.set_language(None)
    return made


@pytest.mark.parametrize("lang", ["km", "en"])
def test_pages_are_not_blank_and_confidential_pages_are_marked(reports, lang):
    report, path = reports[lang, False]
    pages = _pages(path)
    texts = _texts(path)
    assert len(pages) >= 3
    for page in pages:
        dark = (np.asarray(page.convert("L")) < 128).mean()
        assert dark > 0.003, "a blank page"
    marked = [_red_banner(page) for page in pages]
    first = marked.index(True)
    assert first > 0 and all(marked[first:]), "every follow-up page carries the banner"
    assert len(report.overdue) > 40 and sum(marked) >= 2, "a list long enough to take pages"
    names = {person.name for person in report.overdue}
    on_pages = "\n".join(texts[first:])
    assert all(name in on_pages for name in names)
    assert not any(name in text for name in names for text in texts[:first])
    public, public_path = reports[lang, True]
    public_pages = _pages(public_path)
    assert not any(_red_banner(page) for page in public_pages)
    public_text = "\n".join(_texts(public_path))
    assert not any(name in public_text for name in names)
    broker = "Broker Test (synthetic)"
    assert broker in "\n".join(texts) and broker not in public_text


def _ink(image: Image.Image) -> np.ndarray:
    ink = np.asarray(image.convert("L")) < 128
    ys, xs = np.nonzero(ink)
    return ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _similarity(target: np.ndarray, candidate: np.ndarray) -> float:
    """Correlation of two ink masks, the candidate scaled to the target's box, both blurred a
    little (so that a pixel's shift does not count)."""
    a = Image.fromarray(target.astype(np.uint8) * 255).filter(ImageFilter.GaussianBlur(2))
    b = (Image.fromarray(candidate.astype(np.uint8) * 255).resize(a.size, Image.BILINEAR)
         .filter(ImageFilter.GaussianBlur(2)))
    return float(np.corrcoef(np.asarray(a, float).ravel(), np.asarray(b, float).ravel())[0, 1])


def _pillow(text: str, layout: ImageFont.Layout) -> np.ndarray:
    font = ImageFont.truetype(str(font_path()), size=round(TITLE * SCALE), layout_engine=layout)
    font.set_variation_by_axes([700, 100])  # the title is bold
    image = Image.new("L", (4000, 400), 255)
    ImageDraw.Draw(image).text((20, 80), text, font=font, fill=0)
    return _ink(image)


def test_the_khmer_title_is_shaped(reports):
    from PIL import features

    if not features.check("raqm"):
        pytest.skip("this Pillow has no Raqm (HarfBuzz) layout")
    _, path = reports["km", False]
    page = _pages(path)[0]
    # The title line: below the running head (12-18 mm), 11 mm high, from the left margin.
    title = _ink(page.crop((_px(12), _px(17.5), _px(200), _px(29.5))))
    text = i18n.catalogue("km")["report.title"]
    assert "\u17d2" in text  # it has subscripts (coeng), which only shaping places
    shaped = _similarity(title, _pillow(text, ImageFont.Layout.RAQM))
    unshaped = _similarity(title, _pillow(text, ImageFont.Layout.BASIC))
    assert shaped > 0.65 and shaped > unshaped + 0.2, (shaped, unshaped)


def test_the_docs_show_a_page_of_the_khmer_report():
    image = ROOT / "docs" / "report-km-page1.png"
    assert image.exists() and "docs/report-km-page1.png" in (ROOT / "README.md").read_text()
    with Image.open(image) as png:
        assert png.width >= 800 and (np.asarray(png.convert("L")) < 128).mean() > 0.01
