"""Reading a citizen's message: keywords, language, tracking numbers, the region it names; and
cutting LAPOR's answers to the channel's length. Pure functions (regions are passed in)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from complaints.models import TRACKING_ALPHABET, TRACKING_LENGTH

TRACKING_RE = re.compile(rf"(?<![0-9A-Z])([{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}})(?![0-9A-Z])")

# Leading words that set a flag or the classification of a new report.
FLAG_WORDS = {
    "ANONIM": "anonymous",
    "ANONYMOUS": "anonymous",
    "RAHASIA": "confidential",
    "CONFIDENTIAL": "confidential",
}
CLASSIFICATION_WORDS = {
    "ADUAN": "complaint",
    "PENGADUAN": "complaint",
    "COMPLAINT": "complaint",
    "ASPIRASI": "aspiration",
    "ASPIRATION": "aspiration",
    "INFORMASI": "information",
    "INFORMATION": "information",
}
# Commands: the first word of a message, in Indonesian or English.
COMMANDS = {
    "TERIMA": "accept",
    "ACCEPT": "accept",
    "BELUM": "not_satisfied",
    "REJECT": "not_satisfied",
    "STATUS": "status",
    "CEK": "status",
    "BANTUAN": "help",
    "HELP": "help",
    "INFO": "help",
    "BATAL": "cancel",
    "CANCEL": "cancel",
}

_EN = {
    "the",
    "is",
    "are",
    "was",
    "my",
    "i",
    "we",
    "our",
    "there",
    "please",
    "not",
    "and",
    "road",
    "street",
    "no",
    "has",
    "have",
    "been",
    "for",
    "with",
    "this",
    "that",
    "it",
    "in",
    "at",
    "hello",
    "hi",
    "since",
    "of",
    "to",
    "broken",
    "yes",
    "thanks",
    "thank",
    "you",
    "water",
    "school",
    "hospital",
    "a",
    "an",
}
_ID = {
    "yang",
    "di",
    "dan",
    "tidak",
    "sudah",
    "belum",
    "ini",
    "itu",
    "ada",
    "saya",
    "kami",
    "dengan",
    "untuk",
    "jalan",
    "rusak",
    "sejak",
    "mohon",
    "tolong",
    "ke",
    "dari",
    "pada",
    "akan",
    "bisa",
    "air",
    "sekolah",
    "terima",
    "kasih",
    "ya",
    "tak",
    "mati",
    "lubang",
    "selama",
    "minggu",
    "bulan",
    "hari",
    "warga",
    "kota",
}


def words(text: str) -> list[str]:
    return re.findall(r"[0-9A-Za-zÀ-ÿ']+", text or "")


def language_of(text: str, default: str = "id") -> str:
    """English when the citizen writes English, else Bahasa Indonesia (a word count, no model)."""
    tokens = [w.lower() for w in words(text)]
    en = sum(t in _EN for t in tokens)
    id_ = sum(t in _ID for t in tokens)
    if en > id_:
        return "en"
    if id_ > en:
        return "id"
    return default


def tracking_numbers(*texts: str) -> list[str]:
    found = []
    for text in texts:
        for match in TRACKING_RE.findall((text or "").upper()):
            if match not in found and any(ch.isdigit() for ch in match) and any(ch.isalpha() for ch in match):
                found.append(match)
    return found


@dataclass
class Parsed:
    command: str = ""  # a COMMANDS value, or "" for free text
    argument: str = ""  # the rest after a command
    body: str = ""  # free text without the leading flag/classification words
    flags: set = field(default_factory=set)
    classification: str = ""
    unknown_keyword: str = ""  # a lone upper-case word LAPOR does not know


def parse(text: str) -> Parsed:
    text = (text or "").strip()
    parsed = Parsed()
    tokens = text.split()
    if tokens and _plain(tokens[0]).upper() in COMMANDS:
        command, rest_words = COMMANDS[_plain(tokens[0]).upper()], tokens[1:]
        # A keyword is a command only in a command's shape: "Bantuan sosial tidak sampai…" and
        # "Terima kasih, jalan…" are reports, "BANTUAN", "STATUS 4VHSDXNY", "TERIMA 5 puas" are not.
        shaped = {
            "help": len(rest_words) <= 1,
            "cancel": len(rest_words) <= 1,
            "status": len(rest_words) <= 1,
            "accept": not rest_words or rest_words[0][:1].isdigit(),
            "not_satisfied": True,
        }[command]
        if shaped:
            parsed.command = command
            parsed.argument = " ".join(rest_words).strip()
    rest = list(tokens)
    while rest:
        word = _plain(rest[0]).upper()
        if word in FLAG_WORDS:
            parsed.flags.add(FLAG_WORDS[word])
        elif word in CLASSIFICATION_WORDS and not parsed.classification:
            parsed.classification = CLASSIFICATION_WORDS[word]
        else:
            break
        rest.pop(0)
    parsed.body = " ".join(rest).strip()
    if len(rest) == 1 and rest[0].isupper() and rest[0].isalpha() and not (parsed.flags or parsed.classification):
        parsed.unknown_keyword = rest[0]
    return parsed


def _plain(word: str) -> str:
    return word.strip(".,:;!?#*\"'()")


def rating_of(argument: str) -> int | None:
    match = re.match(r"\s*([1-5])(?!\d)", argument or "")
    return int(match.group(1)) if match else None


def split(text: str, limit: int | None) -> list[str]:
    """Cut a long answer into parts of at most `limit` characters, at spaces where possible, each
    numbered "(1/3) " so a basic phone shows them in order."""
    text = (text or "").strip()
    if not limit or len(text) <= limit:
        return [text]
    room = limit - len("(99/99) ")
    parts, rest = [], text
    while rest:
        if len(rest) <= room:
            parts.append(rest)
            break
        cut = rest.rfind(" ", 0, room + 1)
        if cut < room // 2:
            cut = room
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [f"({i}/{len(parts)}) {part}" for i, part in enumerate(parts, 1)]


# --- Regions ---

# Regency names that are also everyday words: only matched with "Kabupaten"/"Kab."/"Kota" before them.
COMMON_WORDS = {"batu", "banjar", "metro", "serang", "tegal", "batang", "landak", "lebak", "pati", "agam", "kaur"}
PROVINCE_ALIASES = {"jakarta": "31", "jogja": "34", "yogya": "34", "diy": "34", "jabar": "32", "jateng": "33"}


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " " + " ".join(re.findall(r"[a-z0-9]+", text)) + " "


def bare_name(name: str) -> str:
    plain = normalize(name).strip()
    for prefix in ("kabupaten administrasi ", "kota administrasi ", "kabupaten ", "kota "):
        if plain.startswith(prefix):
            return plain[len(prefix) :]
    return plain


@dataclass
class RegionMatch:
    regencies: list  # candidate regencies (one: found; several: ask which)
    province: object = None  # a province named without a regency


def find_region(text: str, regencies: list, provinces: list) -> RegionMatch:
    """The regency a text names. `regencies`/`provinces` are Region rows (regencies with parent_id).
    Explicit "Kabupaten X"/"Kab X"/"Kota X" wins over a bare "X"; a name inside a longer matched
    name ("Bandung" in "Bandung Barat") does not count; a named province narrows the candidates."""
    hay = normalize(text)
    explicit, bare = [], []
    for regency in regencies:
        name = bare_name(regency.name)
        is_city = normalize(regency.name).strip().startswith("kota")
        prefixes = ("kota ", "kota administrasi ") if is_city else ("kabupaten ", "kab ", "kabupaten administrasi ")
        if any(f" {p}{name} " in hay for p in prefixes):
            explicit.append((name, regency))
        elif f" {name} " in hay and name not in COMMON_WORDS:
            bare.append((name, regency))
    found = explicit or bare
    names = {n for n, _r in found}
    found = [(n, r) for n, r in found if not any(other != n and f" {n} " in f" {other} " for other in names)]
    province = None
    for prov in provinces:
        if f" {bare_name(prov.name)} " in hay:
            province = prov
    if province is None:
        for alias, code in PROVINCE_ALIASES.items():
            if f" {alias} " in hay:
                province = next((p for p in provinces if p.code == code), None)
    candidates = [r for _n, r in found]
    if province is not None and len(candidates) > 1:
        narrowed = [r for r in candidates if r.parent_id == province.pk]
        candidates = narrowed or candidates
    return RegionMatch(regencies=candidates, province=province if not candidates else None)


def choice_of(text: str, count: int) -> int | None:
    """A numbered answer ("2") to a list of options."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[.)]?\s*", text or "")
    if match and 1 <= int(match.group(1)) <= count:
        return int(match.group(1)) - 1
    return None
