"""Dates and times as leaders write them, in Chinese or English: 明天, 下周五, 12月6日, 6号,
晚上10点, 明晚8点, 上午9:30, "tomorrow 8pm", "next Friday", "Dec 6", and ISO forms.

English words go to dateparser (benchmarks/dates.py measured it against parsedatetime on
a table of such inputs); the Chinese forms it misses (下周五, 12月6日, 6号, 晚上10点, 明晚…)
and the clock are read here. Whatever is understood is echoed back before it counts, so a
reading that surprises is seen. Every failure is an InvalidWhen with a code, never another
exception.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

MAX_TEXT = 64


class WhenError(enum.StrEnum):
    FORMAT = "format"  # not a date or time we can read
    NO_TIME = "no_time"  # a date, but a time was needed
    NO_DATE = "no_date"  # a time, but a date was needed
    PAST = "past"
    TOO_FAR = "too_far"


class InvalidWhen(ValueError):
    def __init__(self, code: WhenError) -> None:
        super().__init__(code.value)
        self.code = code


@dataclass(frozen=True)
class Understood:
    day: date | None
    clock: time | None


# --- numbers and words ---------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"\d{1,2}|[零〇一二两三四五六七八九十]{1,3}"


def _number(text: str) -> int:
    """"12" or "十二" / "二十三" / "三十一" → int (0..99); ValueError otherwise."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _sep, units = text.partition("十")
        if "十" in units or (tens and tens not in _CN_DIGITS) or (units and units not in
                                                                  _CN_DIGITS):
            raise ValueError(text)
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    if len(text) != 1:
        raise ValueError(text)
    return _CN_DIGITS[text]


_SHORTHANDS = (("明晚", "明天晚上"), ("今晚", "今天晚上"), ("明早", "明天早上"),
               ("今早", "今天早上"), ("明晨", "明天早上"), ("后晚", "后天晚上"))
_FILLERS = re.compile(r"[,，、。.!！]|\b(?:at|on|the)\b|的|于|在")

# --- the clock -----------------------------------------------------------------------------

_MORNING = ("凌晨", "早上", "早晨", "清晨", "上午", "早")
_NOON = ("中午",)
_EVENING = ("午后", "下午", "傍晚", "晚上", "晚间", "夜里", "夜间", "晚")
_PERIOD = "|".join(_MORNING + _NOON + _EVENING)
_CN_CLOCK = re.compile(
    rf"(?P<period>{_PERIOD})?\s*(?P<h>{_NUM})\s*[点點时時]\s*"
    rf"(?:(?P<half>半)|(?P<quarter>[一三])刻|(?:(?P<m>{_NUM})\s*分?))?(?:钟)?")
_COLON_CLOCK = re.compile(
    rf"(?P<period>{_PERIOD})?\s*(?<!\d)(?P<h>\d{{1,2}}):(?P<m>\d{{2}})(?::00)?"
    r"(?:\s*(?P<ampm>a\.?m\.?|p\.?m\.?)(?![a-z]))?")
_EN_CLOCK = re.compile(r"(?<![\d:])(?P<h>\d{1,2})\s*(?P<ampm>a\.?m\.?|p\.?m\.?)(?![a-z])")
_WORD_CLOCK = re.compile(r"\b(?P<word>noon|midday|midnight)\b"
                         r"|(?P<cn>中午|午夜)(?!\s*\d|[一二两三四五六七八九十])")


def _clock(h: int, m: int, period: str | None, ampm: str | None) -> tuple[time, int]:
    """The time, and 1 when it falls on the next day ("晚上12点")."""
    if m > 59 or h > 24:
        raise InvalidWhen(WhenError.FORMAT)
    shift = 0
    if ampm:
        if not 1 <= h <= 12:
            raise InvalidWhen(WhenError.FORMAT)
        h = h % 12 + (12 if ampm.startswith("p") else 0)
    elif period in _NOON:
        h = h + 12 if h < 11 else h
    elif period in ("午后", "下午", "傍晚"):
        h = h + 12 if 1 <= h <= 11 else h
    elif period in _EVENING:  # 晚上, 夜里: 1-4 after midnight, 12 is midnight
        if h == 12 or h <= 4:
            h, shift = h % 12, 1
        elif h <= 11:
            h += 12
    elif period == "凌晨":
        h = 0 if h == 12 else h
        if h > 11:
            raise InvalidWhen(WhenError.FORMAT)
    elif period in _MORNING and h > 12:
        raise InvalidWhen(WhenError.FORMAT)  # "上午15点"
    if h > 23:  # "24:00" too: midnight is 00:00 (or 晚上12点), not a second name for it
        raise InvalidWhen(WhenError.FORMAT)
    return time(h, m), shift


def _take_clock(text: str) -> tuple[str, tuple[time, int] | None]:
    """The text without its time of day, and the time (with its day shift) if there was one."""
    found: list[tuple[re.Match[str], tuple[time, int]]] = []
    for pattern in (_CN_CLOCK, _COLON_CLOCK, _EN_CLOCK):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            try:
                h = _number(groups["h"])
                if groups.get("half"):
                    m = 30
                elif groups.get("quarter"):
                    m = 15 if groups["quarter"] == "一" else 45
                else:
                    m = _number(groups["m"]) if groups.get("m") else 0
            except (ValueError, KeyError):
                raise InvalidWhen(WhenError.FORMAT) from None
            found.append((match, _clock(h, m, groups.get("period"),
                                        (groups.get("ampm") or "").replace(".", "") or None)))
        if found:
            break
    if not found:
        word = _WORD_CLOCK.search(text)
        if word is None:
            return text, None
        shift = 1 if (word["word"] == "midnight" or word["cn"] == "午夜") else 0
        value = time(12, 0) if not shift else time(0, 0)
        return text[:word.start()] + " " + text[word.end():], (value, shift)
    if len(found) > 1:
        raise InvalidWhen(WhenError.FORMAT)
    match, clock = found[0]
    return text[:match.start()] + " " + text[match.end():], clock


# --- the day -------------------------------------------------------------------------------

_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "後天": 2, "大后天": 3}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_CN_WEEKDAY = re.compile(r"(?P<which>下下|下个?|这个?|本|上个?)?(?:周|星期|礼拜|禮拜)"
                         r"(?P<d>[一二三四五六日天1-7])")
_ISO_DAY = re.compile(r"(?P<y>\d{4})[-/.年](?P<mo>\d{1,2})[-/.月](?P<d>\d{1,2})[日号號]?")
_CN_DAY = re.compile(rf"(?:(?P<y>\d{{4}})年)?(?P<mo>{_NUM})月(?:份)?(?P<d>{_NUM})[日号號]?")
_CN_DOM = re.compile(rf"(?P<d>{_NUM})[日号號]")


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(month: int, day: int, anchor: date, future: bool) -> date:
    """Month and day without a year: the next one on or after `anchor` (future), else the
    nearest to it."""
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise InvalidWhen(WhenError.FORMAT)
    options = [d for y in (anchor.year - 1, anchor.year, anchor.year + 1)
               if (d := _valid(y, month, day)) is not None]
    if not options:
        raise InvalidWhen(WhenError.FORMAT)  # 2月30日
    if future:
        later = [d for d in options if d >= anchor]
        if later:
            return later[0]
    return min(options, key=lambda d: (abs((d - anchor).days), d < anchor))


def _day_of_month(day: int, anchor: date, future: bool) -> date:
    if not 1 <= day <= 31:
        raise InvalidWhen(WhenError.FORMAT)
    options: list[date] = []
    for shift in (-1, 0, 1, 2):
        index = anchor.year * 12 + anchor.month - 1 + shift
        year, month = divmod(index, 12)
        if day <= calendar.monthrange(year, month + 1)[1]:
            options.append(date(year, month + 1, day))
    if future:
        later = [d for d in options if d >= anchor]
        if later:
            return later[0]
    return min(options, key=lambda d: (abs((d - anchor).days), d < anchor))


_TRAILING_WEEKDAY = re.compile(r"(?<=[日号號\d])[,，]?(?:星期|周|礼拜)(?P<d>[一二三四五六日天])$")


def _cn_day(text: str, today: date, anchor: date, future: bool) -> date | None:
    """A Chinese or ISO date filling the whole text; None when it is no such form. A weekday
    after a date (2026年12月6日星期日, as the bot writes it) must be that date's."""
    compact = text.replace(" ", "")
    named = _TRAILING_WEEKDAY.search(compact)
    if named is not None and not _CN_WEEKDAY.fullmatch(compact):
        dated = _cn_day(compact[:named.start()], today, anchor, future)
        if dated is None or dated.weekday() != _WEEKDAYS[named["d"]]:
            raise InvalidWhen(WhenError.FORMAT)
        return dated
    if compact in _RELATIVE:
        return today + timedelta(days=_RELATIVE[compact])
    if match := _CN_WEEKDAY.fullmatch(compact):
        weekday, which = _WEEKDAYS[match["d"]], (match["which"] or "")
        monday = today - timedelta(days=today.weekday())
        if which.startswith("下下"):
            return monday + timedelta(days=14 + weekday)
        if which.startswith("下"):
            return monday + timedelta(days=7 + weekday)
        if which.startswith("上"):
            return monday + timedelta(days=weekday - 7)
        day = monday + timedelta(days=weekday)
        return day if which or day >= today or not future else day + timedelta(days=7)
    if match := _ISO_DAY.fullmatch(compact):
        iso = _valid(int(match["y"]), int(match["mo"]), int(match["d"]))
        if iso is None:
            raise InvalidWhen(WhenError.FORMAT)
        return iso
    try:
        if match := _CN_DAY.fullmatch(compact):
            month, dom = _number(match["mo"]), _number(match["d"])
            if match["y"]:
                full = _valid(int(match["y"]), month, dom)
                if full is None:
                    raise InvalidWhen(WhenError.FORMAT)
                return full
            return _month_day(month, dom, anchor, future)
        if match := _CN_DOM.fullmatch(compact):
            return _day_of_month(_number(match["d"]), anchor, future)
    except ValueError:
        raise InvalidWhen(WhenError.FORMAT) from None
    return None


_LETTERS = re.compile(r"[a-z]")
_CJK = re.compile(r"[\u3000-\u9fff]")


def _english_day(text: str, today: date, future: bool) -> date | None:
    """English words for a day, by dateparser; None when it reads nothing."""
    import dateparser  # imported on first use: it takes a moment to load its languages

    if _CJK.search(text) or re.search(r"\d{3,}(?!\d*\s*$)|\d{5,}", text):
        return None
    settings = {"RELATIVE_BASE": datetime.combine(today, time(12, 0)),
                "PREFER_DATES_FROM": "future" if future else "current_period",
                "PREFER_DAY_OF_MONTH": "first", "STRICT_PARSING": False,
                "RETURN_AS_TIMEZONE_AWARE": False}
    try:
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
    except Exception:  # noqa: BLE001 - a third-party parser on free text: any failure is "unread"
        return None
    return parsed.date() if parsed is not None else None


def _day(text: str, today: date, anchor: date, future: bool) -> date | None:
    """The day the whole of `text` names; None for an empty text."""
    text = " ".join(_FILLERS.sub(" ", text).split())
    if not text:
        return None
    day = _cn_day(text, today, anchor, future)
    if day is None and _LETTERS.search(text):
        day = _english_day(text, today, future)
    if day is None:
        raise InvalidWhen(WhenError.FORMAT)
    return day


def normalise(text: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    cleaned = re.sub(r"(?<=\d)t(?=\d)", " ", cleaned)  # 2026-12-06T08:00
    for short, long in _SHORTHANDS:
        cleaned = cleaned.replace(short, long + " ")
    return cleaned


def understand(text: str, today: date, *, future: bool = True,
               anchor: date | None = None) -> Understood:
    """The day and the time of day in `text`, either possibly absent (not both).

    Days without a year (12月6日, Dec 6, 6号) fall on or after `anchor` (default today) when
    `future`, else nearest to it; words (明天, next Friday) count from `today`."""
    if not text or len(text) > MAX_TEXT:
        raise InvalidWhen(WhenError.FORMAT)
    cleaned = normalise(text)
    rest, clock = _take_clock(cleaned)
    day = _day(rest, today, anchor or today, future)
    if day is None and clock is None:
        raise InvalidWhen(WhenError.FORMAT)
    if clock is not None and clock[1] and day is not None:
        day += timedelta(days=clock[1])
    return Understood(day, clock[0] if clock else None)


def parse_day(text: str, today: date, *, future: bool = True,
              anchor: date | None = None) -> date:
    """A day, with no time of day."""
    understood = understand(text, today, future=future, anchor=anchor)
    if understood.day is None:
        raise InvalidWhen(WhenError.NO_DATE)
    if understood.clock is not None:
        raise InvalidWhen(WhenError.FORMAT)
    return understood.day


def parse_clock(text: str) -> time:
    """A time of day alone: 08:00, 8点, 晚上10点, 8pm."""
    if not text or len(text) > MAX_TEXT:
        raise InvalidWhen(WhenError.FORMAT)
    rest, clock = _take_clock(normalise(text))
    if clock is None or rest.strip() or clock[1]:
        raise InvalidWhen(WhenError.FORMAT)
    return clock[0]


def parse_moment(text: str, now: datetime, *, max_ahead: timedelta | None = None) -> datetime:
    """A moment after `now` (aware, in the zone it is meant in): a time alone is its next
    occurrence; a day needs a time."""
    local_today = now.date()
    understood = understand(text, local_today)
    if understood.clock is None:
        raise InvalidWhen(WhenError.NO_TIME)
    if understood.day is None:
        _rest, clock = _take_clock(normalise(text))
        day = local_today + timedelta(days=clock[1] if clock else 0)
        moment = datetime.combine(day, understood.clock, tzinfo=now.tzinfo)
        if moment <= now:
            moment = datetime.combine(day + timedelta(days=1), understood.clock,
                                      tzinfo=now.tzinfo)
    else:
        moment = datetime.combine(understood.day, understood.clock, tzinfo=now.tzinfo)
    if moment <= now:
        raise InvalidWhen(WhenError.PAST)
    if max_ahead is not None and moment - now > max_ahead:
        raise InvalidWhen(WhenError.TOO_FAR)
    return moment


_RANGE_SEPARATOR = re.compile(r"\s*(?:到|至|~|〜|–|—|\bto\b|\buntil\b|\btill\b|\bthrough\b|"
                              r"\s-\s)\s*")


def parse_day_range(text: str, today: date) -> tuple[date, date]:
    """One day, or two (`明天到下周五`, `12月6日至10日`, `Dec 6 to Dec 10`,
    `2026-12-01 2026-12-05`). The second's missing month or year comes after the first."""
    if not text or len(text) > MAX_TEXT:
        raise InvalidWhen(WhenError.FORMAT)
    cleaned = normalise(text)
    parts = _RANGE_SEPARATOR.split(cleaned)
    if len(parts) == 2 and all(p.strip() for p in parts):
        start = parse_day(parts[0], today, future=False)
        return start, parse_day(parts[1], today, anchor=start)
    if len(parts) != 1:
        raise InvalidWhen(WhenError.FORMAT)
    try:
        day = parse_day(cleaned, today, future=False)
        return day, day
    except InvalidWhen:
        words = cleaned.split()
        for cut in range(1, len(words)):
            try:
                start = parse_day(" ".join(words[:cut]), today, future=False)
                return start, parse_day(" ".join(words[cut:]), today, anchor=start)
            except InvalidWhen:
                continue
        raise
