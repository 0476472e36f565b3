"""SMS arithmetic: alphabets, concatenated parts and their headers."""

from channels import sms


def test_gsm_text_fits_160_then_153_per_part():
    assert sms.segments("a" * 160) == ("gsm", ["a" * 160])
    kind, parts = sms.segments("a" * 161)
    assert kind == "gsm" and [len(p) for p in parts] == [153, 8]


def test_extension_characters_count_twice_and_are_never_cut():
    kind, parts = sms.segments("{" * 100)  # 200 septets
    assert kind == "gsm" and [len(p) for p in parts] == [76, 24]


def test_unicode_text_uses_ucs2_parts():
    kind, parts = sms.segments("ü" + "Ā" * 80)
    assert kind == "ucs2" and [len(p) for p in parts] == [67, 14]


def test_typography_is_made_plain():
    assert sms.plain("misalnya “Kota Denpasar” – ya…") == 'misalnya "Kota Denpasar" - ya...'
    assert sms.alphabet(sms.plain("“Kabupaten Badung”")) == "gsm"


def test_udh_round_trip_and_foreign_headers():
    assert sms.parse_udh(sms.concat_udh(300, 3, 2)) == (44, 3, 2)
    assert sms.parse_udh("060804BEEF0301") == (0xBEEF, 3, 1)
    assert sms.parse_udh("") is None and sms.parse_udh("zz") is None
    # A national-language shift element alone is no concatenation; before one it is skipped.
    assert sms.parse_udh("03250101") is None
    assert sms.parse_udh("08250101" + "0003120301") == (0x12, 3, 1)
