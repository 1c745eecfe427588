"""LaTeX in titles, abstracts and summaries, turned into MathML on the server.

Browsers render MathML Core natively, so math needs no script and no CDN. This is a small
converter for the TeX that appears in arXiv abstracts (scripts, fractions, roots, Greek,
operators, accents, fonts, \\text, \\left/\\right, matrices): every text node it writes is
escaped and every tag comes from this module, so its output is safe to mark safe. Anything
it cannot parse is shown as the original, escaped source.

One module, though long: it is one concern, a tokenizer, a parser and the tables of TeX
commands it knows, which only make sense together (docs/math-and-markdown.md says why it is
ours rather than latex2mathml).

Hardened (issue 13): titles and abstracts are untrusted input that is rendered on every page
view, so every path has a bound and no input can raise or take long:

* depth: every recursive path of the parser passes through `row()` or `argument()`, and both
  count against MAX_DEPTH, so `\\hat\\hat\\hat…x` or `\\sqrt\\sqrt…x` (no braces, hence no row)
  can no longer recurse until Python's RecursionError (the unhardened module crashed on a
  1,920-character abstract of them); RecursionError is still turned into TexError as a
  last line of defence (a template already deep in the stack);
* work per formula: at most MAX_FORMULA characters and MAX_TOKENS tokens, each token handled
  in constant time, so a formula costs well under a millisecond per hundred tokens;
* work per text: at most MAX_TEXT_FORMULAS formulas and MAX_TEXT_TOKENS tokens are converted
  in one `render()` call; the rest of a hostile text is shown as escaped source;
* finding formulas: `spans()` no longer runs one regular expression whose lazy `\\(…\\)`
  and `\\[…\\]` alternatives rescan to the end of the text from every unclosed opener
  (quadratic: 0.25 s for 10,000 characters of `\\(`, 7 s for 50,000); an alternative is
  only tried where its closing delimiter still occurs later in the text, which makes the
  search linear and finds exactly the same spans.

Every bound falls back to the original source, escaped, as any formula it cannot parse does.
"""

import re
import unicodedata
from collections.abc import Callable, Iterator

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_FORMULA = 2000  # longer "formulas" are almost certainly stray dollar signs
MAX_TOKENS = 1000  # per formula; real ones have at most ~100 (5,000 arXiv papers, 2025-26)
MAX_DEPTH = 50  # nested rows and arguments; real formulas nest 3 deep, braces cost 2 a level
MAX_TEXT_FORMULAS = 200  # per render(); a real abstract has a few dozen at most
MAX_TEXT_TOKENS = 4000  # per render(); ~2 abstracts' worth of pure TeX

# $$…$$, \[…\], \(…\), and $…$ whose content neither starts nor ends with a space and whose
# closing $ is not followed by a digit, so "costs $5 and $10" stays text (pandoc's rule).
# Tried in this order at each position, as one alternation would be (see `_matches`).
_ALTERNATIVES = (
    ("d1", re.compile(r"\$\$(?P<d1>.+?)\$\$", re.S), "$$"),
    ("d2", re.compile(r"\\\[(?P<d2>.+?)\\\]", re.S), "\\]"),
    ("i1", re.compile(r"\\\((?P<i1>.+?)\\\)", re.S), "\\)"),
    (
        "i2",
        re.compile(r"(?<![\\$])\$(?P<i2>[^\s$](?:(?:\\\$|[^$])*?[^\s\\$])?)\$(?!\d)", re.S),
        None,
    ),
)
_OPENER = re.compile(r"\$|\\[\[(]")  # where any alternative can start
_TOKEN = re.compile(r"\\(?:[A-Za-z]+|.)|\d+(?:\.\d+)?|\s+|.", re.S)
# In \text{…}: an escaped character stays, nested commands and braces go.
_TEXT_MARKUP = re.compile(r"\\([%$&#_{} ])|\\[A-Za-z]+\s*|[{}]")


class TexError(ValueError):
    """The formula is not something this converter understands, or exceeds a bound."""

    def __init__(self, message: str, tokens: int = 0):
        super().__init__(message)
        self.tokens = tokens  # how far the parser got: what the attempt cost render()


def _matches(text: str) -> Iterator[tuple[re.Match, str]]:
    """The formulas of `text` in order, as (match, group name), in linear time.

    Same result as finditer over the alternation d1|d2|i1|i2, but a paired alternative is only
    tried at a position where its closing delimiter occurs at least 3 characters later: there
    it always matches (its content is `.+?` with DOTALL) and the search resumes after it, so no
    character is scanned twice by it. Without that check every unclosed `\\(` rescans the rest
    of the text. The inline $…$ alternative stops at the next unescaped $, so it is linear too.
    """
    if "$" not in text and "\\" not in text:
        return
    last = {closing: text.rfind(closing) for _, _, closing in _ALTERNATIVES if closing}
    pos = 0
    while opener := _OPENER.search(text, pos):
        start = opener.start()
        for name, pattern, closing in _ALTERNATIVES:
            if closing and last[closing] < start + 3:
                continue  # cannot match here or anywhere later
            if match := pattern.match(text, start):
                yield match, name
                pos = match.end()
                break
        else:
            pos = start + 1


def spans(text: str) -> list[tuple[int, int]]:
    """Where the formulas are, as (start, end) offsets including their delimiters."""
    return [match.span() for match, _ in _matches(text)]


def render(text: str, plain: Callable[[str], str] = escape) -> SafeString:
    """`text` as HTML: formulas as MathML, everything else through `plain` (escaping by default).

    Converts at most MAX_TEXT_FORMULAS formulas and MAX_TEXT_TOKENS tokens; the rest, like any
    formula that fails, is shown as escaped source. Never raises for any `text`.
    """
    if "$" not in text and "\\" not in text:
        return mark_safe(plain(text))
    out, last, tokens = [], 0, 0
    for formulas, (match, name) in enumerate(_matches(text)):
        if formulas >= MAX_TEXT_FORMULAS or tokens >= MAX_TEXT_TOKENS:
            break  # budget spent: the rest of the text, formulas included, as plain text
        out.append(plain(text[last : match.start()]))
        try:
            html, used = _convert(match.group(name), name in {"d1", "d2"})
        except TexError as error:
            tokens += error.tokens
            out.append(plain(match.group(0)))
        else:
            tokens += used
            out.append(html)
        last = match.end()
    out.append(plain(text[last:]))
    return mark_safe("".join(out))  # every part is escaped or built here


def to_mathml(tex: str, display: bool = False) -> str:
    """One formula as a <math> element; the TeX stays as an annotation (copying, screen readers).

    Raises TexError (never anything else) for what it cannot convert or what exceeds a bound.
    """
    return _convert(tex, display)[0]


def _convert(tex: str, display: bool) -> tuple[str, int]:
    """to_mathml, and the number of tokens it cost (render's per-text budget)."""
    if len(tex) > MAX_FORMULA:
        raise TexError("formula too long")
    parser = _Parser(tex)
    try:
        body = parser.parse()
    except TexError as error:
        error.tokens = parser.pos
        raise
    except RecursionError:  # cannot happen within MAX_DEPTH, unless the caller is already deep
        raise TexError("formula nested too deeply", tokens=parser.pos) from None
    mode = "block" if display else "inline"
    html = (
        f'<math display="{mode}"><semantics><mrow>{body}</mrow>'
        f'<annotation encoding="application/x-tex">{escape(tex.strip())}</annotation>'
        "</semantics></math>"
    )
    return html, len(parser.tokens)


# --- symbol tables -------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_GREEK = dict(
    zip(
        _words(
            "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda"
            " mu nu xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi"
            " omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
        ),
        "αβγδϵεζηθϑικλμνξοπϖρϱσςτυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ",
        strict=True,
    )
)
_IDENTIFIERS = {
    "infty": "∞",
    "ell": "ℓ",
    "partial": "∂",
    "nabla": "∇",
    "emptyset": "∅",
    "varnothing": "∅",
    "hbar": "ℏ",
    "aleph": "ℵ",
    "Re": "ℜ",
    "Im": "ℑ",
    "wp": "℘",
    "top": "⊤",
    "bot": "⊥",
    "dagger": "†",
    "star": "⋆",
    "circledR": "®",
    "copyright": "©",
    "checkmark": "✓",
    "$": "$",
    "#": "#",
    "&": "&",
    "_": "_",
    "%": "%",
}
_OPERATORS = {
    "times": "×",
    "pm": "±",
    "mp": "∓",
    "cdot": "⋅",
    "div": "÷",
    "ast": "∗",
    "circ": "∘",
    "bullet": "∙",
    "oplus": "⊕",
    "otimes": "⊗",
    "odot": "⊙",
    "wedge": "∧",
    "land": "∧",
    "vee": "∨",
    "lor": "∨",
    "neg": "¬",
    "lnot": "¬",
    "cup": "∪",
    "cap": "∩",
    "setminus": "∖",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "ll": "≪",
    "gg": "≫",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "cong": "≅",
    "equiv": "≡",
    "propto": "∝",
    "prec": "≺",
    "succ": "≻",
    "preceq": "⪯",
    "succeq": "⪰",
    "in": "∈",
    "notin": "∉",
    "ni": "∋",
    "subset": "⊂",
    "supset": "⊃",
    "subseteq": "⊆",
    "supseteq": "⊇",
    "forall": "∀",
    "exists": "∃",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "gets": "←",
    "leftrightarrow": "↔",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "Leftrightarrow": "⇔",
    "implies": "⟹",
    "iff": "⟺",
    "mapsto": "↦",
    "uparrow": "↑",
    "downarrow": "↓",
    "longrightarrow": "⟶",
    "mid": "∣",
    "parallel": "∥",
    "perp": "⊥",
    "vdash": "⊢",
    "models": "⊨",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "vdots": "⋮",
    "ddots": "⋱",
    "prime": "′",
    "sum": "∑",
    "prod": "∏",
    "coprod": "∐",
    "int": "∫",
    "iint": "∬",
    "oint": "∮",
    "bigcup": "⋃",
    "bigcap": "⋂",
    "bigoplus": "⨁",
    "bigotimes": "⨂",
    "langle": "⟨",
    "rangle": "⟩",
    "lvert": "|",
    "rvert": "|",
    "vert": "|",
    "lVert": "‖",
    "rVert": "‖",
    "Vert": "‖",
    "|": "‖",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "{": "{",
    "}": "}",
    "lbrace": "{",
    "rbrace": "}",
    "colon": ":",
}
_FUNCTIONS = set(
    _words(
        "log ln lg exp sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh max min sup"
        " inf lim liminf limsup arg argmax argmin det dim ker deg gcd Pr hom mod bmod"
    )
)
_SPACES = {",": "0.1667em", ":": "0.2222em", ">": "0.2222em", ";": "0.2778em", " ": "0.25em"}
_SPACES |= {"quad": "1em", "qquad": "2em", "enspace": "0.5em", "thinspace": "0.1667em"}
_SPACES |= {"!": "-0.1667em", "negthinspace": "-0.1667em", "space": "0.25em"}
_ACCENTS = {
    "hat": ("^", False),
    "widehat": ("^", True),
    "tilde": ("~", False),
    "widetilde": ("~", True),
    "bar": ("\u00af", False),
    "overline": ("\u203e", True),
    "vec": ("\u2192", False),
    "overrightarrow": ("\u2192", True),
    "dot": ("\u02d9", False),
    "ddot": ("\u00a8", False),
    "check": ("\u02c7", False),
    "breve": ("\u02d8", False),
    "acute": ("\u00b4", False),
    "grave": ("`", False),
}
_UNDER = {"underline": "_", "underbrace": "\u23df"}
_IGNORED = set(
    _words(
        "displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits nonumber notag"
        " left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle"
        " mathop mathrel mathbin mathord"
    )
)
_SKIP_ARGUMENT = {"label", "tag", "hspace", "vspace", "phantom", "hphantom", "vphantom"}
_TEXT_CLASSES = {
    "text": "",
    "textrm": "",
    "textnormal": "",
    "mbox": "",
    "textup": "",
    "textbf": "bf",
    "textit": "it",
    "emph": "it",
    "textsl": "it",
    "texttt": "tt",
    "textsf": "sf",
}
_MATRICES = {
    "matrix": ("", ""),
    "smallmatrix": ("", ""),
    "pmatrix": ("(", ")"),
    "bmatrix": ("[", "]"),
    "Bmatrix": ("{", "}"),
    "vmatrix": ("|", "|"),
    "Vmatrix": ("‖", "‖"),
    "cases": ("{", ""),
    "array": ("", ""),
    "aligned": ("", ""),
    "align": ("", ""),
    "align*": ("", ""),
    "gathered": ("", ""),
    "split": ("", ""),
    "equation": ("", ""),
    "equation*": ("", ""),
}
_DELIMITERS = {"(", ")", "[", "]", "|", "/", "<", ">", "."}
_CELL_ENDS = ("&", "\\\\", "\\end")


def _alphabet(upper: int, lower: int, digits: int | None = None, holes: str = "") -> dict:
    """A Unicode mathematical alphabet: styled letters are distinct characters in MathML Core."""
    table = {chr(65 + i): chr(upper + i) for i in range(26)}
    table |= {chr(97 + i): chr(lower + i) for i in range(26)}
    if digits:
        table |= {chr(48 + i): chr(digits + i) for i in range(10)}
    # Letters that predate the block live in Letterlike Symbols: "B=ℬ E=ℰ …".
    table |= dict(pair.split("=") for pair in holes.split())
    return table


_FONTS = {
    "mathbf": _alphabet(0x1D400, 0x1D41A, 0x1D7CE),
    "boldsymbol": _alphabet(0x1D468, 0x1D482, 0x1D7CE),
    "bm": _alphabet(0x1D468, 0x1D482, 0x1D7CE),
    "mathit": _alphabet(0x1D434, 0x1D44E, holes="h=ℎ"),
    "mathcal": _alphabet(0x1D49C, 0x1D4B6, holes="B=ℬ E=ℰ F=ℱ H=ℋ I=ℐ L=ℒ M=ℳ R=ℛ e=ℯ g=ℊ o=ℴ"),
    "mathfrak": _alphabet(0x1D504, 0x1D51E, holes="C=ℭ H=ℌ I=ℑ R=ℜ Z=ℨ"),
    "mathbb": _alphabet(0x1D538, 0x1D552, 0x1D7D8, holes="C=ℂ H=ℍ N=ℕ P=ℙ Q=ℚ R=ℝ Z=ℤ"),
    "mathsf": _alphabet(0x1D5A0, 0x1D5BA, 0x1D7E2),
    "mathtt": _alphabet(0x1D670, 0x1D68A, 0x1D7F6),
    "mathrm": {},  # upright: written with mathvariant="normal"
    "operatorname": {},
}
_FONTS["mathscr"] = _FONTS["mathcal"]
# Old-style declarations: they switch the font for the rest of the group ({\\bf x} y).
_DECLARATIONS = {
    "bf": "mathbf", "it": "mathit", "rm": "mathrm", "tt": "mathtt", "sf": "mathsf",
    "cal": "mathcal",
}  # fmt: skip


def _mo(char: str, **attrs: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"<mo{extra}>{escape(char)}</mo>"


class _Parser:
    """Recursive descent over TeX tokens, producing MathML strings."""

    def __init__(self, tex: str):
        self.tokens = _TOKEN.findall(tex)
        if len(self.tokens) > MAX_TOKENS:
            raise TexError("formula too long", tokens=MAX_TOKENS)
        self.pos = 0
        self.depth = 0
        self.font: str | None = None

    def parse(self) -> str:
        body = self.row(stop=())
        if self.pos < len(self.tokens):
            raise TexError(f"unexpected {self.tokens[self.pos]!r}")
        return body

    # tokens

    def peek(self) -> str | None:
        while self.pos < len(self.tokens) and self.tokens[self.pos].isspace():
            self.pos += 1
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> str:
        token = self.peek()
        if token is None:
            raise TexError("unexpected end of formula")
        self.pos += 1
        return token

    def expect(self, token: str) -> None:
        if self.next() != token:
            raise TexError(f"expected {token!r}")

    # structure

    def enter(self) -> None:
        """One level deeper; `row` and `argument` are on every recursive path, and call this."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TexError("formula nested too deeply")

    def row(self, stop: tuple[str, ...]) -> str:
        """Atoms up to (not including) a token in `stop`, with their sub/superscripts."""
        self.enter()
        outer_font = self.font  # a \\bf declaration lasts to the end of its group
        nodes: list[str] = []
        while (token := self.peek()) is not None and token not in stop:
            if token in {"^", "_"}:
                base = nodes.pop() if nodes else "<mrow></mrow>"
                nodes.append(self.scripts(base))
            elif token == "'":
                self.pos += 1
                base = nodes.pop() if nodes else "<mrow></mrow>"
                nodes.append(f"<msup>{base}{_mo('′')}</msup>")
            elif token == "}":
                raise TexError("unbalanced }")
            else:
                nodes.append(self.atom())
        self.font = outer_font
        self.depth -= 1
        return "".join(nodes)

    def scripts(self, base: str) -> str:
        sub = sup = None
        while (token := self.peek()) in {"^", "_"}:
            self.pos += 1
            if (sub if token == "_" else sup) is not None:
                raise TexError("double script")
            if token == "_":
                sub = self.argument()
            else:
                sup = self.argument()
        if sub is not None and sup is not None:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        if sub is not None:
            return f"<msub>{base}{sub}</msub>"
        return f"<msup>{base}{sup}</msup>"

    def argument(self) -> str:
        """A braced group, or a single token (one digit of a number, as TeX does)."""
        token = self.peek()
        if token is None:
            raise TexError("missing argument")
        if token[0].isdigit() and len(token) > 1:
            self.tokens[self.pos] = token[1:]
            return self.number(token[0])
        self.enter()  # \\hat\\hat\\hat… x recurses through here without ever opening a row
        body = self.group() if token == "{" else self.atom()
        self.depth -= 1
        return body

    def group(self) -> str:
        self.expect("{")
        body = self.row(stop=("}",))
        self.expect("}")
        return f"<mrow>{body}</mrow>"

    def raw_group(self) -> str:
        """The source text of a braced group, for \\text and environment names."""
        self.expect("{")
        depth, parts = 1, []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.pos += 1
            depth += (token == "{") - (token == "}")
            if depth == 0:
                return "".join(parts)
            parts.append(token)
        raise TexError("unbalanced {")

    # atoms

    def atom(self) -> str:
        token = self.next()
        if token == "{":
            self.pos -= 1
            return self.group()
        if token.startswith("\\"):
            return self.command(token[1:])
        if token[0].isdigit():
            return self.number(token)
        if token.isalpha() and token.isascii():
            return self.identifier(token)
        if token == "~":
            return '<mspace width="0.25em"></mspace>'
        if token in "+-*=<>()[]|,;:!/?.@&":
            return _mo("\u2212" if token == "-" else token)
        return f"<mi>{escape(token)}</mi>"

    def identifier(self, letters: str) -> str:
        font = _FONTS.get(self.font or "", {})
        if self.font in {"mathrm", "operatorname"}:
            return f'<mi mathvariant="normal">{escape(letters)}</mi>'
        return f"<mi>{escape(''.join(font.get(c, c) for c in letters))}</mi>"

    def number(self, digits: str) -> str:
        font = _FONTS.get(self.font or "", {})
        return f"<mn>{escape(''.join(font.get(c, c) for c in digits))}</mn>"

    def command(self, name: str) -> str:
        if name in _GREEK:
            char = _GREEK[name]
            upright = ' mathvariant="normal"' if char.isupper() else ""
            return f"<mi{upright}>{char}</mi>"
        if name in _IDENTIFIERS:
            return f"<mi>{escape(_IDENTIFIERS[name])}</mi>"
        if name in _OPERATORS:
            return _mo(_OPERATORS[name])
        if name in _FUNCTIONS:
            return f"<mi>{name}</mi><mo>\u2061</mo>"
        if name in _SPACES:
            return f'<mspace width="{_SPACES[name]}"></mspace>'
        if name in _FONTS:
            return self.styled(name)
        if name in _DECLARATIONS:
            self.font = _DECLARATIONS[name]
            return ""
        if name == "href":
            self.raw_group()  # the URL: no links inside formulas, only the link text
            return self.argument()
        if name == "url":
            return f"<mtext>{escape(self.raw_group())}</mtext>"
        if name == "unicode":
            return self.unicode()
        if name in _TEXT_CLASSES:
            return self.text(name)
        if name in _ACCENTS:
            char, stretchy = _ACCENTS[name]
            base = self.argument()
            accent = _mo(char, stretchy="true" if stretchy else "false")
            return f'<mover accent="true">{base}{accent}</mover>'
        if name in _UNDER:
            return f'<munder accentunder="true">{self.argument()}{_mo(_UNDER[name])}</munder>'
        if name in {"frac", "dfrac", "tfrac", "cfrac"}:
            return f"<mfrac>{self.argument()}{self.argument()}</mfrac>"
        if name == "binom":
            top, bottom = self.argument(), self.argument()
            fraction = f'<mfrac linethickness="0">{top}{bottom}</mfrac>'
            return f"<mrow>{_mo('(')}{fraction}{_mo(')')}</mrow>"
        if name == "sqrt":
            return self.root()
        if name == "left":
            return self.fenced()
        if name == "begin":
            return self.environment()
        if name in {"color", "textcolor"}:
            self.raw_group()
            return self.argument() if name == "textcolor" else ""
        if name in _SKIP_ARGUMENT:
            self.raw_group()
            return ""
        if name in _IGNORED:
            return self.delimiter() if name.startswith(("big", "Big", "middle")) else ""
        if name == "\\":
            return ""
        # Unknown command: show it as written rather than guess.
        return f"<mtext>\\{escape(name)}</mtext>"

    def unicode(self) -> str:
        """\\unicode{x2013} or \\unicode{8211}: one printable character."""
        raw = self.raw_group().strip()
        try:
            code = int(raw[1:], 16) if raw[:1] in {"x", "X"} else int(raw)
            char = chr(code)
        except (ValueError, OverflowError):
            raise TexError(f"not a character: {raw!r}") from None
        if unicodedata.category(char) in {"Cc", "Cs", "Co", "Cn"}:
            raise TexError(f"not a printable character: {raw!r}")
        return f"<mi>{escape(char)}</mi>"

    def styled(self, font: str) -> str:
        outer, self.font = self.font, font
        try:
            body = self.argument()
        finally:
            self.font = outer
        if font == "operatorname":
            return f"{body}<mo>\u2061</mo>"
        return body

    def text(self, name: str) -> str:
        raw = self.raw_group()
        # Text mode: drop nested commands' names and braces, keep their text and escaped chars.
        words = _TEXT_MARKUP.sub(lambda m: m.group(1) or "", raw).replace("~", "\u00a0")
        css = _TEXT_CLASSES[name]
        attribute = f' class="{css}"' if css else ""
        return f"<mtext{attribute}>{escape(words)}</mtext>"

    def root(self) -> str:
        if self.peek() == "[":
            self.pos += 1
            index = self.row(stop=("]",))
            self.expect("]")
            return f"<mroot>{self.argument()}<mrow>{index}</mrow></mroot>"
        return f"<msqrt>{self.argument()}</msqrt>"

    def delimiter(self) -> str:
        token = self.next()
        if token == ".":
            return ""
        if token.startswith("\\") and token[1:] in _OPERATORS:
            return _mo(_OPERATORS[token[1:]], fence="true")
        if token in _DELIMITERS:
            return _mo(token, fence="true")
        raise TexError(f"not a delimiter: {token!r}")

    def fenced(self) -> str:
        opening = self.delimiter()
        body = self.row(stop=("\\right",))
        self.expect("\\right")
        closing = self.delimiter()
        return f"<mrow>{opening}{body}{closing}</mrow>"

    def environment(self) -> str:
        name = self.raw_group()
        if name not in _MATRICES:
            raise TexError(f"unsupported environment {name!r}")
        if name == "array" and self.peek() == "{":
            self.raw_group()  # column specification
        rows, cells = [], []
        while True:
            cells.append(f"<mtd>{self.row(stop=_CELL_ENDS)}</mtd>")
            token = self.next()
            if token == "&":
                continue
            rows.append(f"<mtr>{''.join(cells)}</mtr>")
            cells = []
            if token == "\\end":
                break
        if self.raw_group() != name:
            raise TexError(f"\\begin{{{name}}} ended by another environment")
        opening, closing = _MATRICES[name]
        align = ' columnalign="left"' if name == "cases" else ""
        table = f"<mtable{align}>{''.join(rows)}</mtable>"
        opening, closing = (_mo(d) if d else "" for d in (opening, closing))
        return f"<mrow>{opening}{table}{closing}</mrow>"
