"""Text helpers every layer shares: arXiv ids, Hangul, and the two clean-ups of paper text.

`unwrap` keeps the text and only undoes arXiv's hard wrapping (what we store); `plain_text`
also drops URLs and reduces LaTeX markup to what a reader or a model needs (what we show in
prompts and extracts). They differ on purpose: stored text keeps its LaTeX for the pages' math.
"""

import re
import unicodedata

# A new-style (2411.07133) or old-style (hep-th/9901001) id, with an optional version.
ARXIV_ID_PATTERN = r"\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID = re.compile(rf"(?P<id>{ARXIV_ID_PATTERN})(?:v(?P<version>\d+))?$")
# Hangul syllables, jamo and compatibility jamo.
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def unwrap(text: str | None) -> str:
    """Undo arXiv's hard wrapping: single newlines become spaces, paragraph breaks stay."""
    if not text:
        return ""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SYMBOLS = {
    "times": "×",
    "pm": "±",
    "sim": "~",
    "approx": "≈",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "cdot": "·",
    "to": "→",
    "rightarrow": "→",
    "infty": "∞",
    "eg": "e.g.",
    "ie": "i.e.",
    "etc": "etc.",
}
_URL = re.compile(r"(?:https?://|www\.|\b(?:github\.com|huggingface\.co)/)\S*[^\s.,;:)}\]>]")
_HREF = re.compile(r"\\href\{[^}]*\}\{([^}]*)\}|\\url\{[^}]*\}")
_WRAPPER = re.compile(r"\\[a-zA-Z]+\*?\{([^{}]*)\}")
_ACCENT = re.compile(r"""\\(['"`^~])\{?([a-zA-Z])\}?""")
_COMBINING = {"'": "\u0301", '"': "\u0308", "`": "\u0300", "^": "\u0302", "~": "\u0303"}
_COMMAND = re.compile(r"\\([a-zA-Z]+)\*?")


def _latex_command(match: re.Match) -> str:
    name = match.group(1)
    if name in _SYMBOLS:
        return _SYMBOLS[name]
    case = "CAPITAL" if name[0].isupper() else "SMALL"
    try:
        return unicodedata.lookup(f"GREEK {case} LETTER {name.upper()}")
    except KeyError:
        return ""  # layout or author-defined macro: nothing a reader needs


def plain_text(text: str) -> str:
    """Readable plain text: hard wraps joined, URLs dropped, LaTeX markup reduced to its content."""
    text = _HREF.sub(lambda m: m.group(1) or "", text)
    text = _URL.sub("", text).replace("\\footnote{", " {")
    text = _ACCENT.sub(lambda m: unicodedata.normalize("NFC", m[2] + _COMBINING[m[1]]), text)
    while _WRAPPER.search(text):  # \textbf{\textit{X}} needs two passes
        text = _WRAPPER.sub(r"\1", text)
    text = re.sub(r"\\([%&_#$])", r"\1", text)
    text = _COMMAND.sub(_latex_command, text)
    text = re.sub(r"\^\{?(\d+)\}?", lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    text = re.sub(r"[${}]", "", text)
    text = " ".join(text.split())
    text = re.sub(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])", " ", text)  # "space.Specifically"
    text = re.sub(r"\(\s*\)|<\s*>|\s+(?=[,.;:)])", "", text)
    return re.sub(r"\(\s+", "(", text).strip()
