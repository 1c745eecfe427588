"""Claude, the only outside language model: one small client (`llm.client`) for every app."""

from llm.client import BATCH_DISCOUNT, Claude, LLMError, Reply, Usage, json_request
from llm.prompts import escape, paper_element

__all__ = [
    "BATCH_DISCOUNT",
    "Claude",
    "LLMError",
    "Reply",
    "Usage",
    "escape",
    "json_request",
    "paper_element",
]
