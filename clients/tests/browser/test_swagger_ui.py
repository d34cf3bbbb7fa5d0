"""The /docs page in a real browser: headless Chromium, driven by Selenium, against gunicorn.

tests/test_docs_page.py checks the page's HTML and that its files are served; this checks that
they work: Swagger UI starts, lists every operation of /openapi.json, and sends a "Try it out"
request that the API answers. The app runs under gunicorn on a free loopback port against a
fresh, migrated database with a user and a post (`app_server`), and every file the page fetched
must have come from it.

Not part of `make test`: it needs Chromium and its chromedriver (Debian's packages chromium and
chromium-driver; CHROMIUM and CHROMEDRIVER name others). Run it with `make browser-test`.
Set SCREENSHOT to a file name to keep a picture of the rendered page.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.wait import WebDriverWait

from tests.fixtures import SERVED_TAGS, app_server
from tests.servers import Server, call

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1600",
]
WAIT_SECONDS = 30


def executable(variable: str, default: str) -> str:
    """Return the full path of the program the environment variable names, or of `default`."""
    name = os.environ.get(variable) or default
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install it (see make browser-test) or set {variable}")
    return path


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    with app_server(database_url, "browser") as server:
        yield server


def chromium_options(profile: str) -> webdriver.ChromeOptions:
    """Return the options Chromium runs with: CHROMIUM_FLAGS, its log kept, a profile of its own."""
    options = webdriver.ChromeOptions()
    options.binary_location = executable("CHROMIUM", "chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_argument(f"--user-data-dir={profile}")
    return options


def chromedriver() -> Service:
    # An explicit chromedriver: Selenium then runs no Selenium Manager, its tool for finding one.
    return Service(executable_path=executable("CHROMEDRIVER", "chromedriver"))


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with tempfile.TemporaryDirectory(prefix="blog-chromium-") as profile:
        driver = webdriver.Chrome(options=chromium_options(profile), service=chromedriver())
        try:
            yield driver
        finally:
            driver.quit()


def keep_screenshot(page: WebDriver) -> None:
    """Save a picture of `page` in the file SCREENSHOT names, if it names one."""
    if screenshot := os.environ.get("SCREENSHOT"):
        page.save_screenshot(screenshot)


@pytest.fixture(scope="module")
def docs(server: Server, browser: WebDriver) -> Iterator[WebDriver]:
    """Open /docs and wait until Swagger UI has drawn the operations."""
    browser.get(server.url + "/docs")
    WebDriverWait(browser, WAIT_SECONDS).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock"))
    )
    yield browser
    keep_screenshot(browser)


def documented_operations(server: Server) -> list[tuple[str, str]]:
    """Return (METHOD, path) for every operation in /openapi.json, once per tag it is under."""
    document = call(server.url + "/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in HTTP_METHODS
        for _ in operation.get("tags") or ["default"]
    )


def drawn_operations(page: WebDriver) -> list[tuple[str, str]]:
    """Return (METHOD, path) for every operation block Swagger UI has drawn."""
    return sorted(
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
            or "",
        )
        for block in page.find_elements(By.CSS_SELECTOR, ".opblock")
    )


def operation_block(page: WebDriver, method: str, path: str) -> WebElement:
    selector = f'.opblock-{method.lower()} .opblock-summary-path[data-path="{path}"]'
    summary_path = page.find_element(By.CSS_SELECTOR, selector)
    opblock = "contains(concat(' ', normalize-space(@class), ' '), ' opblock ')"
    block: WebElement = summary_path.find_element(By.XPATH, f"ancestor::*[{opblock}][1]")
    return block


def test_the_page_lists_every_operation_of_the_document(server: Server, docs: WebDriver) -> None:
    expected = documented_operations(server)

    assert expected
    assert drawn_operations(docs) == expected
    title = call(server.url + "/openapi.json").json()["info"]["title"]
    assert title in docs.find_element(By.CSS_SELECTOR, ".info .title").text


def test_the_page_loaded_nothing_from_other_origins(server: Server, docs: WebDriver) -> None:
    loaded = docs.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )

    assert any(url.endswith("/swagger-ui-bundle.js") for url in loaded)
    assert any(url.endswith("/openapi.json") for url in loaded)
    assert [url for url in loaded if not url.startswith(server.url + "/")] == []


def test_the_page_logged_no_errors(docs: WebDriver) -> None:
    errors = [entry for entry in docs.get_log("browser") if entry["level"] == "SEVERE"]

    assert errors == []


def test_the_pages_own_script_and_style_sheet_ran_under_its_policy(docs: WebDriver) -> None:
    # The policy allows no inline code: Swagger UI started (`docs`) from blog/assets/docs.js,
    # and this rule of blog/assets/docs.css, which Swagger UI's style sheet has not, applies.
    overflow = docs.execute_script("return getComputedStyle(document.documentElement).overflowY")

    assert overflow == "scroll"


def test_try_it_out_sends_a_request_the_api_answers(server: Server, docs: WebDriver) -> None:
    block = operation_block(docs, "GET", "/api/tags")
    block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait = WebDriverWait(docs, WAIT_SECONDS)
    wait.until(lambda _: block.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
    block.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    wait.until(lambda _: block.find_elements(By.CSS_SELECTOR, ".execute"))
    block.find_element(By.CSS_SELECTOR, ".execute").click()

    status = wait.until(
        lambda _: block.find_elements(
            By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"
        )
    )[0]
    body = block.find_element(
        By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_description"
    )
    request_url = block.find_element(By.CSS_SELECTOR, ".request-url pre").text
    docs.execute_script("arguments[0].scrollIntoView()", status)

    assert status.text == "200"
    assert request_url.startswith(server.url + "/api/tags")
    assert SERVED_TAGS[0] in body.text


def test_screenshot_names_the_file_that_keeps_a_picture_of_the_page(
    docs: WebDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picture = tmp_path / "docs.png"
    monkeypatch.setenv("SCREENSHOT", str(picture))

    keep_screenshot(docs)

    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_with_an_explicit_chromedriver_selenium_manager_is_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Selenium runs the Selenium Manager that SE_MANAGER_PATH names: here, none at all.
    monkeypatch.setenv("SE_MANAGER_PATH", str(tmp_path / "no-selenium-manager"))
    options = chromium_options(str(tmp_path / "profile"))

    with pytest.raises(NoSuchDriverException) as without:
        webdriver.Chrome(options=options, service=Service())
    driver = webdriver.Chrome(options=options, service=chromedriver())
    driver.quit()

    assert "SE_MANAGER_PATH" in str(without.value.__cause__)
