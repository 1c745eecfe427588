"""What the papers app tells the apps above it, which it must not import.

- `papers_moved`: an editor moved papers to another category. Sent inside the transaction that
  moved them, with `moves`: [(paper, its previous category)]. The summaries app marks the
  summaries that no longer describe their papers.
- `corrections_saved`: the admin saved an editor's correction of `paper_ids`, after the moves
  above. The digest app queues the rebuild of the days they made stale, once committed, and
  tells the editor whether it could through `notify(message, level)` (the admin's
  message_user for this request).
"""

from django.dispatch import Signal

papers_moved = Signal()
corrections_saved = Signal()
