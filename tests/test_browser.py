"""The smoke-built site read in a real browser: Debian's Chromium driven by Playwright, the site served from
127.0.0.1. Every page of every language answers 200, shows all its images, has a language switcher that
lands on the same chapter, and logs no error; the search finds a term in each language. A screenshot of
one chapter per language is kept in ``_build/test-artifacts/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest

from hp_lib import build, paths

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# the flags a browser needs as root on a machine without a display or outside network
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SEARCH_TERMS = {"en": "momentum", "zh-hant": "動量", "zh-hans": "动量"}
SCREENSHOT_PAGE = "notebooks/smith_momentum"
ARTIFACTS = paths.project_root() / "_build" / "test-artifacts"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(smoke_site):
    site = smoke_site / "html"
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", site
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium (tools/setup_env.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A browser tab that records every console error, uncaught exception and failed request."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error"
                     and self.problems.append(f"console: {m.text} ({m.location.get('url')})"))
        self.page.on("pageerror", lambda e: self.problems.append(f"exception: {e}"))
        # (a request cut short by leaving the page, ERR_ABORTED, is no failure of the site)
        self.page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "")
                     and self.problems.append(f"request failed: {r.url} ({r.failure})"))

    def open(self, url: str) -> int:
        response = self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return response.status

    def broken_images(self) -> list[str]:
        """Images that did not load (lazy ones are loaded first)."""
        return self.page.evaluate("""async () => {
            const images = Array.from(document.images);
            images.forEach(img => { img.loading = "eager"; });
            await Promise.all(images.map(img => img.decode().catch(() => null)));
            return images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src);
        }""")


def html_pages(site: Path, lang: str) -> list[str]:
    """Every page of one language, as paths like ``notebooks/x.html`` (Sphinx's own pages included)."""
    return sorted(str(p.relative_to(site / lang)) for p in (site / lang).rglob("*.html")
                  if "_static" not in p.parts and "mathjax" not in p.parts)


def test_every_page_of_every_language_loads_cleanly(server, browser):
    base, site = server
    visit = Visit(browser)
    assert visit.open(base + "index.html") == 200
    opened, problems = 1, {}
    for lang in build.LANGUAGES:
        for page in html_pages(site, lang.code):
            url = f"{base}{lang.code}/{page}"
            visit.problems.clear()
            status = visit.open(url)
            broken = visit.broken_images()
            opened += 1
            if status != 200 or broken or visit.problems:
                problems[url] = {"status": status, "broken images": broken, "errors": visit.problems[:5]}
    (ARTIFACTS / "browser").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "browser" / "pages.json").write_text(json.dumps({"opened": opened, "problems": problems}, indent=1))
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    assert opened >= 3 * len(json.loads((site / "build.json").read_text())["pages"])


def test_the_switcher_lands_on_the_same_chapter(server, browser):
    base, site = server
    pages = json.loads((site / "build.json").read_text())["pages"]
    visit = Visit(browser)
    for lang in build.LANGUAGES:
        for page in pages:
            visit.open(f"{base}{lang.code}/{page}.html")
            hrefs = visit.page.eval_on_selector_all("nav.language-switcher a.lang-link", "links => links.map(a => a.href)")
            others = [other.code for other in build.LANGUAGES if other != lang]
            assert sorted(hrefs) == sorted(f"{base}{code}/{page}.html" for code in others), (lang.code, page)
    # and a reader's click on each link lands there, in that language
    visit.open(f"{base}en/{SCREENSHOT_PAGE}.html")
    for lang in build.LANGUAGES[1:]:
        visit.page.click(f'nav.language-switcher a[hreflang="{lang.sphinx.replace("_", "-")}"]')
        visit.page.wait_for_load_state("load")
        assert visit.page.url == f"{base}{lang.code}/{SCREENSHOT_PAGE}.html"
        assert visit.page.evaluate("document.documentElement.lang") == lang.sphinx.replace("_", "-")
        visit.page.go_back()
    assert not visit.problems, visit.problems


@pytest.mark.parametrize("lang", build.LANGUAGES, ids=lambda lang: lang.code)
def test_search_finds_a_term_in_each_language(server, browser, lang):
    base, _ = server
    visit = Visit(browser)
    visit.open(f"{base}{lang.code}/search.html?q={quote(SEARCH_TERMS[lang.code])}")
    results = visit.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=30_000)
    found = results.evaluate_all("items => items.map(li => li.querySelector('a').href)")
    assert any(url.startswith(urljoin(base, f"{lang.code}/notebooks/smith_momentum")) for url in found), found
    assert not visit.problems, visit.problems


@pytest.mark.parametrize("lang", build.LANGUAGES, ids=lambda lang: lang.code)
def test_a_screenshot_of_one_chapter_per_language(server, browser, lang):
    base, _ = server
    visit = Visit(browser)
    visit.open(f"{base}{lang.code}/{SCREENSHOT_PAGE}.html")
    visit.page.evaluate("document.fonts.ready")
    out = ARTIFACTS / "browser" / f"{lang.code}-{Path(SCREENSHOT_PAGE).name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(out))
    assert out.stat().st_size > 20_000
    title = visit.page.locator("article h1").first.inner_text()
    if lang.tag == "lang-zh":  # the chapter is in Chinese, with a font that has its characters
        assert any("\u4e00" <= ch <= "\u9fff" for ch in title), title
        fonts = subprocess.run(["fc-list", f":lang={lang.sphinx.replace('_', '-').lower()}", "family"],
                               capture_output=True, text=True).stdout
        assert "CJK" in fonts, "no CJK font: `make test` installs Debian's fonts-noto-cjk (tools/setup_env.sh)"
    assert not visit.problems, visit.problems
