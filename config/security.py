"""Security headers Django does not set itself (Content-Security-Policy comes from django-csp),
and what the policy must allow of the plotly.js the site serves."""

import base64
import hashlib
import re
from pathlib import Path

from django.conf import settings

# plotly.js adds MapLibre's stylesheet as a <style> element with this text when it loads, maps
# or not: `e=document.createElement("style");e.id="…",e.textContent='…'`.
INJECTED_STYLE = re.compile(
    r"""createElement\("style"\);\w+\.id="[0-9a-f]+",\w+\.textContent='([^'\\]*)'"""
)


def injected_style_hashes(script: Path) -> list[str]:
    """CSP sources allowing exactly the <style> texts `script` injects (read from the file the
    site serves, so they follow the locked plotly version); none if it injects none."""
    text = script.read_text(encoding="utf-8")
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()}'"
        for m in INJECTED_STYLE.findall(text)
    ]


class PermissionsPolicyMiddleware:
    """`Permissions-Policy: settings.PERMISSIONS_POLICY` on every response that has none."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response
