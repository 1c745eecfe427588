"""The Content-Security-Policy in a real browser (issue 17, defect 8): the day and category
pages draw their Plotly charts (static/js/chart.js from json_script data) and Chromium reports
no violation of the policy."""

import pytest

from tests.browser.conftest import DESKTOP
from tests.browser.test_site_in_chromium import DAY_URL, demo  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# Run before any of the page's own scripts (injected by the browser, so not subject to CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`));
"""


def test_the_charts_render_under_the_csp_without_a_violation(demo, browser):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        console = []
        page.on("console", lambda message: console.append(message.text))
        page.on("pageerror", lambda error: console.append(str(error)))

        response = page.goto(demo + DAY_URL)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        page.locator("#category-chart g.slice").first.wait_for()
        assert page.locator("#category-chart g.slice").count() == 14
        slug = page.locator("section.category").first.get_attribute("id")
        page.goto(f"{demo}/categories/{slug}/")
        page.locator("svg.main-svg").first.wait_for()
        page.wait_for_timeout(500)  # reports are delivered asynchronously
        violations = page.evaluate("window.__violations")
    finally:
        context.close()
    assert violations == [], violations
    assert not [line for line in console if "Content Security Policy" in line], console
