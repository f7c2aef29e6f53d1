"""Figures in Chinese and English text, parsed to comparable values.

``extract(text)`` finds every figure and returns ``Figure``\\s with a value, a canonical
unit and a kind, so that different renderings of the same quantity compare equal:

    1.4 萬億美元 == $1.4 trillion == 1.4兆美元 == US$1.4tn      (USD 1.4e12)
    5000億美元 == $500 billion,   9億 == 900 million,   10吉瓦 == 10 GW (W 1e10)
    百分之四十 == 40%,   10倍 == 10x == tenfold,   2025年4月30日 == April 30, 2025

Rules:
- numbers: Arabic (with , or thin-space thousands), full-width, Chinese numerals
  (一千四百, 兩/两, 零/〇), English number words (one .. ninety-nine, a hundred);
- scales: 萬/万 1e4, 億/亿 1e8, 萬億/万亿 1e12, 兆 1e12 (兆瓦 is a megawatt), 千, 百萬;
  thousand, million, billion, trillion, k, m/mn, bn, tn;
- units: USD (美元, 美金, $, US$, USD, dollars), CNY (人民幣, 元, RMB, yuan, ¥), % (百分之,
  percent), W (瓦, 千瓦, 兆瓦, 吉瓦, kW, MW, GW, gigawatts ...), x (倍, times, -fold,
  doubled, tripled), durations (年/years, 個月/months, 周/weeks, 天/days), year (2030年,
  in 2030), date, quarter (第一季度, Q1, first quarter); a bare count has unit "";
- ranges (六到八周, six to eight weeks) give one figure per end, both with the unit;
- not figures: list numbering (``1.AGI``), numbers glued to letters (GPT-4o, M365, o3),
  anything inside a URL, and vague amounts (數千億, several).

Tolerance: two values match when they differ by at most half a unit of the last digit
written in the coarser one, so a summary may round (1.35 萬億 ~ $1.4 trillion, 70.9% ~
71%) but never change scale (5000億 is never 5 萬億). Trailing zeros count as written
digits: 40% does not match 38%. A direction (+1 rise,
-1 fall) is read from nearby words; two figures whose directions are both known and
opposite never match.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

# ---- character tables ----

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}  # ！..～ -> !..~, same length
_FULLWIDTH[0x3000] = 0x20
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "兩": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"萬": 10**4, "万": 10**4, "億": 10**8, "亿": 10**8}
_EN_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "a": 1,
    "an": 1,
}
_EN_SCALE = {
    "hundred": 100,
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
    "quadrillion": 10**15,
}
_SUFFIX_SCALE = {
    "k": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "bn": 10**9,
    "b": 10**9,
    "tn": 10**12,
    "t": 10**12,
    "trn": 10**12,
}
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_ORDINALS_ZH = {"一": 1, "二": 2, "三": 3, "四": 4}
_ORDINALS_EN = {"first": 1, "second": 2, "third": 3, "fourth": 4}

_CN_NUM = "零〇一二兩两三四五六七八九十拾百佰千仟萬万億亿"
_CN_LEADING = "零〇一二兩两三四五六七八九十"
_CLASSIFIER = re.compile(
    r"[家個个位名次項项款種种條条台臺輛辆架艘點点件篇份場场輪轮季代層层類类步級级道大顆颗張张]"
)
_EN_WORD = "|".join(sorted((k for k in _EN_UNITS if len(k) > 2), key=len, reverse=True))

# ---- patterns (applied to text with full-width forms folded to ASCII) ----

_URL = re.compile(r"https?://\S+|www\.\S+")
_DATE_ZH = re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日號号])?")
_DATE_ISO = re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")
_MONTH_NAME = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE_EN = re.compile(
    rf"\b{_MONTH_NAME}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b"
    rf"|\b(?P<d2>\d{{1,2}})\s+{_MONTH_NAME.replace('mon', 'mon2')}\s+(?P<y2>\d{{4}})\b",
    re.I,
)
_QUARTER = re.compile(
    r"第(?P<zh>[一二三四1-4])(?:季度|季)|\bQ(?P<q>[1-4])\b"
    r"|\b(?P<en>first|second|third|fourth)[ -]quarter\b",
    re.I,
)
_PERCENT_ZH = re.compile(rf"百分之(?P<n>\d+(?:\.\d+)?|[{_CN_NUM}點点]+)")
_NUMBER = re.compile(
    r"(?<![A-Za-z\d.])(?<![A-Za-z]-)(?:(?P<cur>US\$|\$|USD\s?|RMB\s?|CNY\s?|¥)\s?)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.])|\d+(?:\.\d+)?)"
    r"(?![\d])"
)
_CN_NUMBER = re.compile(rf"[{_CN_NUM}]+")
_EN_NUMBER = re.compile(
    rf"\b(?P<w>(?:{_EN_WORD})(?:[- ](?:{_EN_WORD}))?(?:\s+hundred)?)\b"
    r"(?=\s*[A-Za-z-])",  # followed by a word: a unit, a scale or a counted noun
    re.I,
)
_FOLD_WORD = re.compile(
    r"\b(?P<w>two|three|four|five|six|seven|eight|nine|ten|hundred|thousand)fold\b", re.I
)
_ENGLISH_MULTIPLE = re.compile(r"\b(?P<w>doubled?|doubling|tripled?|tripling|quadrupled?)\b", re.I)
_ZH_DOUBLE = re.compile(r"翻倍|翻一番|[雙双]倍")
_VAGUE_BEFORE = re.compile(
    r"(?:數|数|幾|几|多|several|few|many|dozens of|hundreds of|thousands of)\s*$", re.I
)
_YEAR_CUE = re.compile(r"(?:\b(?:in|by|since|until|through|from|of|before|after|to))\s+$", re.I)
_GLUED_SUFFIX = re.compile(r"(?:x|k|m|mn|bn|b|t|tn|trn|st|nd|rd|th)\b", re.I)

# what may follow a number, longest first; (pattern, unit, kind, multiplier)
_AFTER: list[tuple[re.Pattern[str], str, str, float]] = [
    (re.compile(r"\s*(?:吉瓦|GW\b|gigawatts?\b)", re.I), "W", "power", 1e9),
    (re.compile(r"\s*(?:兆瓦|MW\b|megawatts?\b)", re.I), "W", "power", 1e6),
    (re.compile(r"\s*(?:千瓦|kW\b|kilowatts?\b)"), "W", "power", 1e3),
    (re.compile(r"\s*(?:美元|美金|U\.?S\.? dollars?\b|dollars?\b|USD\b)", re.I), "USD", "money", 1),
    (re.compile(r"\s*(?:人民幣|人民币|元|RMB\b|yuan\b|CNY\b)", re.I), "CNY", "money", 1),
    (re.compile(r"\s*(?:%|％|percent\b|per cent\b)", re.I), "%", "percent", 1),
    (re.compile(r"\s*(?:倍|x\b|×|times\b|-fold\b|fold\b)", re.I), "x", "multiple", 1),
    (re.compile(r"(?:st|nd|rd|th)\b|\s*名(?!字)"), "rank", "rank", 1),
    (re.compile(r"\s*(?:瓦(?!片)|watts?\b)", re.I), "W", "power", 1),
    (re.compile(r"[\s-]*(?:個月|个月|months?\b)", re.I), "month", "duration", 1),
    # 週 of 週活躍用戶 (weekly active users) or 週年 is no week
    (re.compile(r"[\s-]*(?:[週周](?![活末年刊報报])|星期|weeks?\b)", re.I), "week", "duration", 1),
    (re.compile(r"[\s-]*(?:天|日|days?\b)", re.I), "day", "duration", 1),
    (re.compile(r"[\s-]*(?:小時|小时|hours?\b)", re.I), "hour", "duration", 1),
    (re.compile(r"[\s-]*(?:分鐘|分钟|minutes?\b)", re.I), "minute", "duration", 1),
    (re.compile(r"[\s-]*(?:年|歲|岁|years?\b)", re.I), "year-span", "duration", 1),
]
_SCALE_AFTER = re.compile(
    r"\s*(?P<s>萬億|万亿|兆(?!瓦)|億|亿|萬|万|千萬|千万|百萬|百万|千(?![瓦克米])"
    r"|quadrillion|trillion|billion|million|thousand|hundred|bn|mn|trn|tn|k|m|b|t)(?![A-Za-z])",
    re.I,
)
_ZH_SCALE = {
    "萬億": 10**12,
    "万亿": 10**12,
    "兆": 10**12,
    "億": 10**8,
    "亿": 10**8,
    "萬": 10**4,
    "万": 10**4,
    "千萬": 10**7,
    "千万": 10**7,
    "百萬": 10**6,
    "百万": 10**6,
    "千": 10**3,
}
_RANGE_JOIN = re.compile(r"\s*(?:到|至|~|～|-|–|—|to|or)\s*", re.I)
_UP = re.compile(
    r"增長|增长|上升|提升|提高|增加|上漲|上涨|漲|涨|擴大|扩大|飆升|飙升|翻|"
    r"\b(?:ris(?:e|es|ing)|rose|gr(?:ow|ows|ew|owing)|increas\w*|up|higher|expand\w*|"
    r"jump\w*|soar\w*|climb\w*)\b",
    re.I,
)
_DOWN = re.compile(
    r"下降|降低|減少|减少|下跌|暴跌|下滑|跌|縮小|缩小|削減|削减|降|"
    r"\b(?:fall(?:s|ing)?|fell|drop\w*|declin\w*|decreas\w*|cut\w*|lower\w*|"
    r"cheaper|down|shrink\w*|plung\w*|slump\w*)\b",
    re.I,
)


@dataclass(frozen=True)
class Figure:
    text: str  # verbatim span
    start: int
    end: int
    value: float
    unit: str  # USD, CNY, %, W, x, rank, year, date, quarter, year-span, month, week, day,
    # hour, minute, or "" for a plain count
    kind: str  # money, percent, power, multiple, rank, year, date, quarter, duration, number
    precision: float = 1.0  # place value of the last significant digit as written
    direction: int = 0  # +1 rise, -1 fall, 0 unknown

    def describe(self) -> str:
        return f"{self.text} ({_format(self.value)} {self.unit})".strip()


def _format(value: float) -> str:
    return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:.4g}"


# ---- number parsing ----


def _precision_of(digits: str) -> Decimal:
    """Place value of the last digit written: "1.4" -> 0.1, "1300" -> 1, "9" -> 1. Trailing
    zeros count: 40% is not "about 38%", and 100 億 is not 135 億."""
    digits = digits.replace(",", "").replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if "." in digits:
        return Decimal(1).scaleb(-len(digits.split(".")[1]))
    return Decimal(1)


def parse_chinese_number(text: str) -> tuple[float, float] | None:
    """一千四百 -> 1400, 兩 -> 2, 三十 -> 30, 一萬億 -> 1e12; (value, precision)."""
    if not text or any(c not in _CN_NUM for c in text):
        return None
    total, section, digit = 0, 0, None
    precision = 1  # written in words, a number is exact down to its last big unit
    i = 0
    while i < len(text):
        c = text[i]
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
            precision = 1
        elif c in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[c]
            digit = None
        elif c in _CN_BIG:
            big = _CN_BIG[c]
            if i + 1 < len(text) and text[i + 1] in _CN_BIG:  # 萬億: a trillion
                big *= _CN_BIG[text[i + 1]]
                i += 1
            section += digit or 0
            total += (section or 1) * big
            precision = big
            section, digit = 0, None
        i += 1
    total += section + (digit or 0)
    return float(total), float(precision)


def _english_words(text: str) -> int | None:
    words = re.split(r"[- ]+", text.lower().strip())
    value = 0
    for word in words:
        if word in _EN_UNITS:
            value += _EN_UNITS[word]
        elif word == "hundred":
            value = max(value, 1) * 100
        else:
            return None
    return value


# ---- extraction ----


def _direction(text: str, start: int, end: int) -> int:
    before = text[max(0, start - 12) : start]
    after = text[end : end + 8]
    near = before + " " + after
    ups = len(_UP.findall(near))
    downs = len(_DOWN.findall(near))
    return 0 if ups == downs else (1 if ups > downs else -1)


def _units_after(text: str, pos: int) -> tuple[str, str, float, int]:
    for pattern, unit, kind, multiplier in _AFTER:
        match = pattern.match(text, pos)
        if match:
            return unit, kind, multiplier, match.end()
    return "", "number", 1.0, pos


class _Scan:
    """One pass over a text: figures found so far, and the characters they cover."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = text.translate(_FULLWIDTH)
        self.taken = [False] * len(text)
        self.found: list[Figure] = []
        for url in _URL.finditer(self.folded):
            self.take(url.start(), url.end())

    def take(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.taken[i] = True

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def add(
        self, start: int, end: int, value: float, unit: str, kind: str, precision: float = 1.0
    ) -> None:
        self.take(start, end)
        self.found.append(
            Figure(
                self.text[start:end],
                start,
                end,
                value,
                unit,
                kind,
                precision,
                _direction(self.folded, start, end),
            )
        )


def _fixed_forms(scan: _Scan) -> None:
    """Dates, quarters, 百分之, and multiples written as words: read before plain numbers."""
    f = scan.folded
    for pattern in (_DATE_ZH, _DATE_ISO):
        for m in pattern.finditer(f):
            if scan.free(m.start(), m.end()):
                value = int(m["y"]) * 10000 + int(m["m"]) * 100 + int(m.group("d") or 0)
                scan.add(m.start(), m.end(), value, "date", "date")
    for m in _DATE_EN.finditer(f):
        if scan.free(m.start(), m.end()):
            month = _MONTHS[(m.group("mon") or m.group("mon2")).lower()[:3]]
            year, day = int(m.group("y") or m.group("y2")), int(m.group("d") or m.group("d2"))
            scan.add(m.start(), m.end(), year * 10000 + month * 100 + day, "date", "date")
    for m in _QUARTER.finditer(f):
        if scan.free(m.start(), m.end()):
            q = m.group("zh") or m.group("q") or m.group("en")
            number = _ORDINALS_ZH.get(q) or _ORDINALS_EN.get(q.lower(), 0) or int(q)
            scan.add(m.start(), m.end(), number, "quarter", "quarter")
    for m in _PERCENT_ZH.finditer(f):
        n = m.group("n")
        parsed = (float(n), float(_precision_of(n))) if n[0].isdigit() else parse_chinese_number(n)
        if parsed and scan.free(m.start(), m.end()):
            scan.add(m.start(), m.end(), parsed[0], "%", "percent", parsed[1])
    for m in _ZH_DOUBLE.finditer(f):
        if scan.free(m.start(), m.end()):
            scan.add(m.start(), m.end(), 2, "x", "multiple")
    for m in _ENGLISH_MULTIPLE.finditer(f):
        if scan.free(m.start(), m.end()):
            word = m.group("w").lower()
            value = 2 if word.startswith("doubl") else 3 if word.startswith("tripl") else 4
            scan.add(m.start(), m.end(), value, "x", "multiple")
    for m in _FOLD_WORD.finditer(f):
        if scan.free(m.start(), m.end()):
            word = m.group("w").lower()
            scan.add(m.start(), m.end(), _EN_UNITS.get(word) or _EN_SCALE[word], "x", "multiple")


# (start, end, value, precision, currency written before the number)
Candidate = tuple[int, int, float, float, str]


def _arabic(f: str) -> list[Candidate]:
    found: list[Candidate] = []
    for m in _NUMBER.finditer(f):
        digits, end = m.group("num"), m.end()
        if re.match(r"[.、](?![\d\s]|$)", f[end : end + 2]):
            continue  # list numbering: "1.AGI", "2、人類" (not "in 2025." nor "147、144")
        if (
            end < len(f)
            and f[end].isalpha()
            and f[end].isascii()
            and not _GLUED_SUFFIX.match(f, end)
        ):
            continue  # glued to a name: GPT-4o, 3D
        value = float(re.sub(r"[,\s\u00a0\u202f]", "", digits))
        cur = (m.group("cur") or "").strip().upper()
        currency = {
            "$": "USD",
            "US$": "USD",
            "USD": "USD",
            "RMB": "CNY",
            "CNY": "CNY",
            "¥": "CNY",
        }.get(cur, "")
        start = m.start() if currency else m.start("num")
        if f[max(0, start - 1) : start] == "第" and not re.match(r"\s*季", f[end:]):
            if re.match(r"\s*名", f[end:]):  # 第175名: a rank, like "175th"
                found.append((start, end, value, 1.0, ""))
            continue  # other ordinals (第3章) are no figures
        found.append((start, end, value, float(_precision_of(digits)), currency))
    return found


def _chinese(f: str) -> list[Candidate]:
    found: list[Candidate] = []
    for m in _CN_NUMBER.finditer(f):
        word = m.group(0)
        parsed = parse_chinese_number(word)
        if parsed is None or word[0] not in _CN_LEADING or f[max(0, m.start() - 1)] == "第":
            continue  # 萬一 and 千萬 are words, 第一 an ordinal
        if len(word) == 1 or not any(c in _CN_SMALL or c in _CN_BIG for c in word):
            # a lone digit (一些, 之一, 三點) is a figure only with a unit, a classifier or as
            # the first end of a range; a count of one (一個, 一年) is no figure at all
            joint = _RANGE_JOIN.match(f, m.end())
            counted = bool(_CLASSIFIER.match(f, m.end())) or bool(
                joint and re.match(rf"[{_CN_NUM}\d]", f[joint.end() : joint.end() + 1])
            )
            has_unit = _SCALE_AFTER.match(f, m.end()) or _units_after(f, m.end())[0]
            if parsed[0] == 1 or not (counted or has_unit):
                continue
        found.append((m.start(), m.end(), parsed[0], parsed[1], ""))
    return found


def _english(f: str) -> list[Candidate]:
    found: list[Candidate] = []
    for m in _EN_NUMBER.finditer(f):
        value = _english_words(m.group("w"))
        if value is None or m.group("w").lower() in ("a", "an"):
            continue
        unit = _units_after(f, m.end())[0]
        if (
            value == 1
            and not _SCALE_AFTER.match(f, m.end())
            and unit not in ("W", "USD", "CNY", "%")
        ):
            continue  # "one of", "one year": a count of one is no figure, as in Chinese
        found.append((m.start(), m.end(), float(value), 1.0, ""))
    return found


def _scale(f: str, pos: int, value: float) -> tuple[float, int]:
    match = _SCALE_AFTER.match(f, pos)
    if not match:
        return 1, pos
    word = match.group("s")
    scale = _ZH_SCALE.get(word) or _EN_SCALE.get(word.lower()) or _SUFFIX_SCALE.get(word.lower(), 1)
    if word.lower() == "hundred" and value >= 100:
        return 1, pos  # "two hundred" was read as 200 already
    return scale, match.end()


def _range_unit(f: str, pos: int, candidates: list[Candidate]) -> tuple[str, str, float] | None:
    """The unit of a range's second end, for its first: 六到八周, six to eight weeks."""
    joint = _RANGE_JOIN.match(f, pos)
    if not joint:
        return None
    second = next((c for c in candidates if c[0] == joint.end()), None)
    if second is None:
        return None
    unit, kind, multiplier, _ = _units_after(f, _scale(f, second[1], second[2])[1])
    return (unit, kind, multiplier) if unit else None


def _is_year(f: str, start: int, end: int, value: float) -> bool:
    return (
        1900 <= value <= 2100
        and value == int(value)
        and bool(
            _YEAR_CUE.search(f[max(0, start - 10) : start])
            or re.match(r"\s*(?:年|財年|财年)", f[end:])
            or re.fullmatch(r"\d{4}", f[start:end])
        )
    )


def extract(text: str) -> list[Figure]:
    """Every figure in ``text``, in order of position."""
    return list(_extract(text))


@lru_cache(maxsize=4096)  # the checks read the same summary texts several times
def _extract(text: str) -> tuple[Figure, ...]:
    scan = _Scan(text)
    _fixed_forms(scan)
    f = scan.folded
    candidates = sorted(_arabic(f) + _chinese(f) + _english(f))
    for start, end, value, precision, currency in candidates:
        if not scan.free(start, end) or _VAGUE_BEFORE.search(f[max(0, start - 12) : start]):
            continue
        scale, pos = _scale(f, end, value)
        unit, kind, multiplier, unit_end = _units_after(f, pos)
        if currency and not unit:
            unit, kind = currency, "money"
        figure_end = unit_end if unit else pos
        if not unit:
            ranged = _range_unit(f, pos, candidates)
            if ranged:
                unit, kind, multiplier = ranged
                figure_end = pos
        if unit == "year-span" and scale == 1 and 1000 <= value <= 2999:
            scan.add(start, unit_end, value, "year", "year")  # 2030年: a year, not 2030 years
        elif not unit and scale == 1 and _is_year(f, start, end, value):
            scan.add(start, end, value, "year", "year")
        else:
            scan.add(
                start,
                figure_end,
                value * scale * multiplier,
                unit,
                kind,
                precision * scale * multiplier,
            )
    return tuple(sorted(scan.found, key=lambda fig: fig.start))


# ---- comparison ----


def close(a: float, b: float, precision_a: float, precision_b: float) -> bool:
    tolerance = max(precision_a, precision_b) / 2
    return math.isclose(a, b, rel_tol=1e-9) or abs(a - b) <= tolerance + 1e-9 * max(abs(a), abs(b))


def compatible_units(a: Figure, b: Figure, *, loose: bool = False) -> bool:
    """Same unit; with ``loose``, a bare number also matches an amount of money (texts
    often leave the currency implied: 從 10 億美元加注到 100 億)."""
    if a.unit == b.unit:
        return True
    return loose and {a.kind, b.kind} == {"number", "money"}


def same_figure(a: Figure, b: Figure, *, loose: bool = False) -> bool:
    if not compatible_units(a, b, loose=loose):
        return False
    if a.direction and b.direction and a.direction != b.direction:
        return False
    if a.unit in ("date", "year", "quarter"):
        return a.value == b.value
    return close(a.value, b.value, a.precision, b.precision)
