"""Make ``docs/web-departure-km.png`` and ``docs/web-review-km.png``: the departure form in
Khmer and its review page, in a headless Chromium 1366 pixels wide (a small laptop), with
the synthetic answers of the tests (everything in them is made up).

    .venv/bin/python docs/make_web_images.py     # needs chromium and chromium-driver
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import register  # noqa: E402
from tests.conftest import COMMUNE  # noqa: E402
from tests.register.web_support import (  # noqa: E402
    AGENCY,
    BROKER,
    DEPARTURE,
    begin,
    chromium,
    enter,
    fill,
    form_answers,
    serving,
    wait_for,
)

# What the first screen of the form shows answered: the person.
SHOWN = ("name", "national_id", "phone", "sex", "birth_year", "home_village")


def main() -> None:
    from selenium.webdriver.common.by import By

    out = ROOT / "docs"
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "commune.db"
        register.init_register(db, commune=COMMUNE, actor="docs").close()
        with serving(db, lang="km") as server, chromium(height=1000) as driver:
            begin(driver, server)
            enter(driver, "agencies", AGENCY)
            enter(driver, "brokers", BROKER)
            driver.find_element(By.CSS_SELECTOR, 'nav.menu a[href="/new/departures"]').click()
            wait_for(driver, "form#entry")
            for name in SHOWN:
                fill(driver, name, DEPARTURE[name])
            driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
            driver.save_screenshot(str(out / "web-departure-km.png"))
            for name, value in form_answers(DEPARTURE).items():
                if name not in SHOWN:
                    fill(driver, name, value)
            driver.find_element(By.ID, "review").click()
            wait_for(driver, "#summary")
            driver.save_screenshot(str(out / "web-review-km.png"))
    print(f"wrote {out / 'web-departure-km.png'} and {out / 'web-review-km.png'}")


if __name__ == "__main__":
    main()
