"""A real headless Chromium (Debian's, through its chromedriver), driven by Selenium."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from tests.support.live import ROOT

CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = ROOT / "docs" / "dashboard"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


def install() -> None:
    """Chromium and chromedriver from Debian (the script returns at once when present)."""
    subprocess.run([str(ROOT / "scripts" / "setup-browser.sh")], check=True)


class Browser:
    def __init__(self, driver: webdriver.Chrome, base: str) -> None:
        self.driver = driver
        self.base = base

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    @property
    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base).split("?")[0]

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str) -> list[WebElement]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def fill(self, name: str, value: str) -> None:
        field = self.find(f"[name='{name}']")
        if field.tag_name == "select":
            Select(field).select_by_visible_text(value)
            return
        field.clear()
        field.send_keys(value)

    def submit(self, label: str) -> None:
        """Click the submit button whose text is ``label`` (a real click, a real post)."""
        buttons = [b for b in self.all("button[type=submit]") if b.text == label]
        assert buttons, f"no button {label!r} on {self.path}: {self.text()[:500]}"
        self._navigating(buttons[0].click)

    def _navigating(self, act: Callable[[], None]) -> None:
        """Do ``act`` and wait until the browser shows the page it led to."""
        old = self.find("html")
        act()

        def gone() -> bool:
            try:
                old.is_enabled()
            except StaleElementReferenceException:
                return True
            return False

        self.wait_for(gone, 60, "the next page")

    def click_link(self, text: str) -> None:
        self._navigating(self.driver.find_element(By.LINK_TEXT, text).click)

    def click_in(self, css: str, text: str) -> None:
        """Follow the link ``text`` inside the element ``css`` (a table row, say)."""
        self._navigating(self.find(css).find_element(By.LINK_TEXT, text).click)

    def click_href(self, ending: str) -> None:
        """Follow the (first) link whose address ends with ``ending``."""
        links = [a for a in self.all("a") if str(a.get_attribute("href")).endswith(ending)]
        assert links, f"no link to ...{ending} on {self.path}"
        self._navigating(links[0].click)

    def options(self, name: str) -> list[str]:
        """The texts of the choices of the <select> called ``name``."""
        return [str(o.text) for o in Select(self.find(f"[name='{name}']")).options]

    def error(self) -> str:
        return str(self.find("[role=alert]").text)

    def links(self) -> list[str]:
        return [str(a.text) for a in self.all("a")]

    def buttons(self) -> list[str]:
        return [str(b.text) for b in self.all("button")]

    def wait_for(self, check: Callable[[], bool], seconds: float = 60, what: str = "") -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except WebDriverException:
                pass  # the page changed under the check (a swap, a navigation): look again
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what} on {self.path}: {self.text()[:800]}")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))

    def width(self, pixels: int) -> None:
        """Make the window ``pixels`` wide (phone width: 390)."""
        self.driver.set_window_size(pixels, 900)

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.driver.get_cookies()}


@contextmanager
def chromium(base: str) -> Iterator[Browser]:
    profile = tempfile.mkdtemp(prefix="moorage-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield Browser(driver, base)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
