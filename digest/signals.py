"""What the digest app tells the apps above it (it never imports them)."""

from django.dispatch import Signal

# Sent by the publish stage each time it publishes a day, the first time and on every rebuild,
# with `digest`: receivers must be idempotent (followers sends each day once per subscriber).
day_published = Signal()

# Sent once the scheduled popularity refresh (digest/popularity.py) has committed, with `day`:
# the papers' upvotes and stars changed by bulk updates, which send no post_save.
popularity_refreshed = Signal()
