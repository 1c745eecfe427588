"""Is a model's report usable? Structure, citations, language and foreign-script leakage.

Complaints are written to be sent back to the model verbatim, so each names the item at fault.
The leakage check is the one the reference product lacked: its Korean reports carry stray
Chinese characters (鏡像, 重大한), Japanese kana, Cyrillic and Vietnamese words.
"""

import re
import unicodedata
from collections.abc import Iterator

from common.text import HANGUL
from summaries.report import SECTIONS, split_citation

# Letters of these scripts belong in our reports: Hangul, Latin (English terms), Greek (math).
_ALLOWED_SCRIPTS = {"HANGUL", "LATIN", "GREEK"}
# Letter-like symbols that are not a language: ℝ, ℓ, 𝒪, µ, ª, ʼ, ⁿ...
_SYMBOL_LETTERS = {
    "MATHEMATICAL",
    "DOUBLE-STRUCK",
    "SCRIPT",
    "BLACK-LETTER",
    "PLANCK",
    "MICRO",
    "FEMININE",
    "MASCULINE",
    "MODIFIER",
    "SUPERSCRIPT",
    "SUBSCRIPT",
}
# Letters only Vietnamese uses: ă đ ơ ư and the stacked tone marks of U+1EA0..U+1EF9.
_VIETNAMESE = set("ăĂđĐơƠưƯ") | {chr(c) for c in range(0x1EA0, 0x1EFA)}
# Accented English words; any other lowercase accented Latin word inside Korean or English prose
# is a foreign word (giám sát, dân), while capitalised ones are names (Schrödinger, TÜLU).
_LOANWORDS = {"naïve", "naïvely", "café", "résumé", "cliché", "façade", "déjà", "à", "rôle"}
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_ENGLISH_SENTENCE_WORDS = 6  # a Korean item may hold English terms, not English sentences
_ID_LIKE = re.compile(r"\b\d{4}\.\d{4,5}\b")


def foreign_script(text: str) -> list[str]:
    """The runs of letters in `text` from scripts a Korean or English report never needs."""
    found = []
    for script, run in _script_runs(unicodedata.normalize("NFC", text)):
        if script == "LATIN":
            if _VIETNAMESE & set(run) or (
                not run.isascii() and run[0].islower() and run.lower() not in _LOANWORDS
            ):
                found.append(run)
        elif script == "FOREIGN":
            found.append(run)
    return found


def complaints(data, known_refs: set[str], language: str) -> list[str]:
    """Everything wrong with a report in JSON form; empty when it can be published."""
    if not isinstance(data, dict) or set(data) != set(SECTIONS):
        return [f"the report must be an object with exactly the keys {', '.join(SECTIONS)}"]
    problems = []
    for section in SECTIONS:
        items = data[section]
        if not isinstance(items, list) or not items:
            problems.append(f"{section} is empty")
            continue
        for index, item in enumerate(items):
            where = f"{section}[{index}]"
            text, refs = _text_and_refs(section, item)
            if text is None:
                problems.append(f"{where} has the wrong shape")
                continue
            if not text.strip():
                problems.append(f"{where} is empty")
                continue
            if section == "findings" and not refs:
                problems.append(f"{where} cites no paper")
            unknown = sorted({*refs, *_ID_LIKE.findall(text)} - known_refs)
            if unknown:
                problems.append(
                    f"{where} cites {', '.join(unknown)}, which is not among the given papers"
                )
            problems += [f"{where} {p}" for p in _language_problems(text, language)]
    return problems


def _text_and_refs(section: str, item) -> tuple[str | None, list[str]]:
    """The item's text and the refs it cites: a finding's list, or a line's "[id, id]" ending."""
    if section == "findings":
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            return None, []
        refs = item.get("refs")
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            return None, []
        return item["text"], refs
    if not isinstance(item, str):
        return None, []
    return item, split_citation(item)[1]


def _language_problems(text: str, language: str) -> list[str]:
    problems = []
    if leaked := foreign_script(text):
        problems.append(
            f"contains foreign script {', '.join(leaked)}: rewrite it in "
            + ("Korean (Hangul) or English terms" if language == "ko" else "English")
        )
    hangul = bool(HANGUL.search(text))
    if language == "ko" and not hangul:
        if len(_LATIN_WORD.findall(text)) >= _ENGLISH_SENTENCE_WORDS:
            problems.append("is written in English, not Korean")
    elif language == "en" and hangul:
        problems.append("contains Korean; write English only")
    return problems


def _script_runs(text: str) -> Iterator[tuple[str, str]]:
    """(script, run) for each maximal run of letters of one script; other characters split."""
    script, run = "", []
    for char in text:
        current = _script(char)
        if current != script and run:
            yield script, "".join(run)
            run = []
        script = current
        if current:
            run.append(char)
    if run:
        yield script, "".join(run)


def _script(char: str) -> str:
    """HANGUL, LATIN or GREEK; SYMBOL for letter-like symbols; FOREIGN for every other letter
    (so that 畳み込み, Han and kana mixed, is one run); "" for anything but a letter."""
    if not unicodedata.category(char).startswith("L"):
        return ""
    script = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    if script in _ALLOWED_SCRIPTS:
        return script
    return "SYMBOL" if script in _SYMBOL_LETTERS else "FOREIGN"
