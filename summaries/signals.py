"""What the summaries app tells the apps above it, which it must not import.

- `regeneration_requested`: an editor asked for `summary_ids` to be written again; they are
  marked for regeneration already. The digest app queues the summarise stage of their days,
  under the pipeline's claim once committed, and tells the editor whether it could through
  `notify(message, level)`.
"""

from django.dispatch import Signal

regeneration_requested = Signal()
