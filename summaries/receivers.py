"""The summaries app's answers to the signals of the apps below it."""

from papers.signals import papers_moved
from summaries.services import mark_moved_paper


def mark_stale_summaries(sender, moves, **kwargs) -> None:
    for paper, previous in moves:
        mark_moved_paper(paper, previous)


def connect() -> None:
    papers_moved.connect(mark_stale_summaries, dispatch_uid="summaries-mark-stale")
