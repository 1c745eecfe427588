"""The TL;DR taken from the abstract when no model writes one: its contribution sentence."""

import re

from common.text import plain_text

EXTRACT_CHARS = 280  # an extracted sentence longer than this is cut at a word
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"“])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|et al|vs|Fig|Eq|cf|resp)\.$")
_CONTRIBUTION = re.compile(
    r"\bwe (?:propose|introduce|present|develop|design|build|release|construct|provide)"
    r"|\b(?:introducing|proposing)\b"
    r"|\b(?:this|our) (?:paper|work|study|article) (?:propose|introduce|present|develop)"
)
_INQUIRY = re.compile(
    r"\bwe (?:study|investigate|explore|analy[sz]e|examine|formulate|extend|revisit)"
    r"|\b(?:this|our) (?:paper|work|study|article) (?:stud|investigat|explor|analy[sz]|examin)"
)
_CLAIM = re.compile(r"\bwe (?:show|demonstrate|find)|achiev|outperform|improv")
_OUTLOOK = re.compile(r"\bfuture\b|further (?:study|studies|research|work)|avenues?\b")
_BOILERPLATE = re.compile(
    r"\b(?:code|data|dataset|models?|weights)\b.*\b(?:available|released|open-sourced)\b"
    r"|\bwe (?:will )?(?:release|open-source)|\bproject page"
)
# "To address this, we propose X" reads better as "We propose X".
_LEAD_IN = re.compile(
    r"^(?:[^,]{0,80}, )+(?=we (?:propose|introduce|present|develop|design|build|provide)\b)"
    r"|^(?:in this (?:paper|work|study)|here|specifically), ",
    re.IGNORECASE,
)


def extract(abstract: str) -> str:
    """The abstract's contribution sentence ("we propose ..."), else a result claim, else its
    first sentence; cut at a word past EXTRACT_CHARS. Empty without an abstract."""
    sentences = _sentences(abstract)
    if not sentences:
        return ""

    def score(item):
        index, sentence = item
        lower = sentence.lower()
        found = 3 * bool(_CONTRIBUTION.search(lower)) or 2 * bool(_INQUIRY.search(lower))
        outlook = 3 * bool(_OUTLOOK.search(lower))
        return (found + bool(_CLAIM.search(lower)) - outlook, -index)

    _, sentence = max(enumerate(sentences), key=score)
    sentence = _LEAD_IN.sub("", sentence, count=1)
    sentence = sentence[0].upper() + sentence[1:]
    if len(sentence) > EXTRACT_CHARS:
        sentence = sentence[:EXTRACT_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return sentence


def _sentences(abstract: str) -> list[str]:
    merged: list[str] = []
    for part in _SENTENCE_END.split(plain_text(abstract or "")):
        if merged and _ABBREVIATION.search(merged[-1]):
            merged[-1] += " " + part
        else:
            merged.append(part)
    return [s for s in merged if len(s.split()) >= 5 and not _BOILERPLATE.search(s.lower())]
