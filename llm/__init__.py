"""Claude, the only outside language model: one small client (`llm.client`) for every app."""

from llm.client import BATCH_DISCOUNT, Claude, LLMError, Reply, Usage, json_request

__all__ = ["BATCH_DISCOUNT", "Claude", "LLMError", "Reply", "Usage", "json_request"]
