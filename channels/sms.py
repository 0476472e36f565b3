"""SMS text as a phone network carries it: the GSM 03.38 alphabet (7-bit septets, 160 in one SMS,
153 in each part of a concatenated one) or UCS-2 (70, 67 per part), concatenation headers (UDH)
and the typography LAPOR's own texts use, turned into characters every basic phone shows."""

from __future__ import annotations

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"  # two septets each (escape + character)
GSM7 = frozenset(GSM7_BASIC) - {"\x1b"}
# Typography in LAPOR's texts that GSM-7 lacks: plain equivalents keep an answer in the cheaper alphabet.
PLAIN = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...", "×": "x"})

SINGLE = {"gsm": 160, "ucs2": 70}
PART = {"gsm": 153, "ucs2": 67}
CODING = {"gsm": "Default_No_Compression", "ucs2": "Unicode_No_Compression"}


def plain(text: str) -> str:
    return (text or "").translate(PLAIN)


def septets(char: str) -> int:
    return 2 if char in GSM7_EXTENSION else 1


def alphabet(text: str) -> str:
    """ "gsm" when every character is in the GSM 03.38 alphabet (or its extension), else "ucs2"."""
    return "gsm" if all(c in GSM7 or c in GSM7_EXTENSION for c in text) else "ucs2"


def units(text: str, kind: str) -> int:
    """The length the network counts: septets for GSM-7, UTF-16 code units for UCS-2."""
    if kind == "gsm":
        return sum(septets(c) for c in text)
    return len(text.encode("utf-16-be")) // 2


def capacity(text: str, parts: int) -> int:
    """How many characters of `text`'s alphabet fit into one concatenated SMS of `parts` parts."""
    kind = alphabet(text)
    return SINGLE[kind] if parts <= 1 else PART[kind] * parts


def segments(text: str) -> tuple[str, list[str]]:
    """(alphabet, parts): `text` cut into the parts of one concatenated SMS (one part when it fits a
    single SMS), never splitting an escaped GSM character or a UTF-16 surrogate pair."""
    kind = alphabet(text)
    if units(text, kind) <= SINGLE[kind]:
        return kind, [text]
    room, parts, current, used = PART[kind], [], [], 0
    for char in text:
        size = septets(char) if kind == "gsm" else len(char.encode("utf-16-be")) // 2
        if used + size > room:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    parts.append("".join(current))
    return kind, parts


def concat_udh(reference: int, total: int, sequence: int) -> str:
    """The user data header of one part (8-bit reference), as Gammu stores it: hex."""
    return f"050003{reference % 256:02X}{total:02X}{sequence:02X}"


def parse_udh(udh: str) -> tuple[int, int, int] | None:
    """(reference, total, sequence) from a concatenation header (8- or 16-bit reference), or None
    for a single SMS or a header carrying no concatenation element."""
    try:
        data = bytes.fromhex((udh or "").strip())
    except ValueError:
        return None
    if len(data) < 2:
        return None
    end = min(len(data), data[0] + 1)
    i = 1
    while i + 1 < end:
        iei, length = data[i], data[i + 1]
        value = data[i + 2 : i + 2 + length]
        if iei == 0x00 and length == 3 and len(value) == 3:
            return value[0], value[1], value[2]
        if iei == 0x08 and length == 4 and len(value) == 4:
            return (value[0] << 8) | value[1], value[2], value[3]
        i += 2 + length
    return None
