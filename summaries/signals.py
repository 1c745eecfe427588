"""What the summaries app tells the apps above it, which it must not import.

- `regeneration_requested`: an editor asked for `summary_ids` to be written again; they are
  marked for regeneration already. The digest app queues the summarise stage of their days,
  under the pipeline's claim, and returns a line for the editor (or None).
"""

from django.dispatch import Signal

regeneration_requested = Signal()
