"""Search on SQLite (the demo): the same interface, with a simpler relevance score (a title hit
above an abstract hit, then newest first), the sort switch and the filters. SQLite is exercised
in a separate process, as tests/config/test_demo_sqlite.py does."""

import datetime
import json

from tests.conftest import BUNDLED, DEMO_DAY
from tests.subprocess_django import run_python

EARLIER = DEMO_DAY - datetime.timedelta(days=1)
SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from reader import search
from papers.models import Paper
call_command("migrate", verbosity=0)
for day in ({earlier!r}, {demo!r}):
    call_command("build_digest", day, stdout=open("/dev/null", "w"))
titled, mentions = {titled!r}, set({mentions!r})
ranked = [p.arxiv_id for p in search.papers("quokkanet")]
assert ranked[0] == titled and set(ranked[1:]) == mentions, ranked
newest = [p.arxiv_id for p in search.papers("quokkanet", search.NEWEST)]
assert set(newest[:len(mentions)]) == mentions and newest[-1] == titled, newest
since = [p.arxiv_id for p in search.papers("quokkanet", filters=search.Filters(since={demo!r}))]
assert set(since) == mentions, since
category = Paper.objects.get(arxiv_id=titled).category
only = search.papers("quokkanet", filters=search.Filters(category=category.slug))
assert only and all(p.category == category for p in only)
client = Client(HTTP_HOST="127.0.0.1")
html = client.get("/search/", {{"q": "quokkanet"}}).content.decode()
assert '<strong aria-current="true">관련도순</strong>' in html
assert 'href="?q=quokkanet&amp;sort=newest"' in html
assert html.index(titled) < min(html.index(m) for m in mentions)
params = {{"q": "quokkanet", "sort": "newest", "to": {earlier!r}}}
html = client.get("/search/", params).content.decode()
assert titled in html and not any(m in html for m in mentions)
assert "&lt;b&gt;<mark>quokkanet</mark>&lt;/b&gt;" in html
assert client.get("/feeds/search.rss", {{"q": "quokkanet"}}).status_code == 200
print("ok")
"""


def test_search_on_sqlite_ranks_sorts_and_filters(tmp_path):
    lines = (BUNDLED / DEMO_DAY.isoformat() / "arxiv.jsonl").read_text().splitlines()[:20]
    papers = [json.loads(line) for line in lines]
    titled, mentions = papers[0]["arxiv_id"], [p["arxiv_id"] for p in papers[10:14]]
    papers[0]["title"] = "QuokkaNet: " + papers[0]["title"]
    papers[0]["abstract"] = "A <b>quokkanet</b> baseline. " + papers[0]["abstract"]
    for paper in papers[10:14]:
        paper["abstract"] += " We compare against QuokkaNet."
    for day, size in ((EARLIER, 10), (DEMO_DAY, 20)):
        folder = tmp_path / "days" / day.isoformat()
        folder.mkdir(parents=True)
        text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in papers[:size])
        (folder / "arxiv.jsonl").write_text(text)
    script = SCRIPT.format(
        earlier=EARLIER.isoformat(), demo=DEMO_DAY.isoformat(), titled=titled, mentions=mentions
    )
    env = {
        "DIGEST_DATA_DIR": str(tmp_path / "days"),
        "DIGEST_CLASSIFIER_DIR": str(tmp_path / "no-model"),
    }
    result = run_python(script, tmp_path, env=env)
    assert result.stdout.strip() == "ok"
