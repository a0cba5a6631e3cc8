"""Decoding text files: BOMs, mixed encodings, guesses, binary and empty files."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.decoding import decode_text
from ingest.entries import NotWriting, ReadFailed


def test_utf8_is_returned_verbatim_with_crlf_kept() -> None:
    text = "Line one\r\nLine two — café\n"
    assert decode_text(text.encode()) == (text, ())


def test_utf8_bom_is_stripped() -> None:
    assert decode_text(codecs.BOM_UTF8 + b"hello") == ("hello", ())


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_utf16_and_utf32_with_bom(bom: bytes, encoding: str) -> None:
    text = "Dear diary, 2019-03-04: snow in März."
    assert decode_text(bom + text.encode(encoding)) == (text, ())


def test_broken_utf16_fails() -> None:
    with pytest.raises(ReadFailed, match="undecodable"):
        decode_text(codecs.BOM_UTF16_LE + "hello".encode("utf-16-le") + b"\x00")


def test_a_few_windows_1252_bytes_in_utf8_are_mixed_encoding() -> None:
    data = "Naïve — ".encode() + b"I went to the caf\xe9 today."
    text, warnings = decode_text(data)
    assert text == "Naïve — I went to the café today."
    assert warnings == ("mixed encoding: 1 bytes decoded as Windows-1252",)


def test_undefined_windows_1252_bytes_still_decode() -> None:
    text, warnings = decode_text(b"plain words and one odd byte \x81 here")
    assert "\x81" in text
    assert warnings[0].startswith("mixed encoding")


def test_other_encodings_are_guessed_with_a_warning() -> None:
    data = "Привет, как дела? Сегодня был длинный и хороший день.".encode("cp1251")
    text, warnings = decode_text(data)
    assert text.startswith("Привет")
    assert warnings == ("not UTF-8: decoded as cp1251",)


def test_windows_1252_wins_a_tie_between_single_byte_encodings() -> None:
    french = (
        "Le café était très agréable ce matin. Nous avons mangé une crème brûlée, "
        "puis marché le long de la rivière jusqu'à l'église."
    )
    text, warnings = decode_text(french.encode("cp1252"))
    assert text == french
    assert warnings == ("not UTF-8: decoded as Windows-1252",)


def test_nothing_credible_fails() -> None:
    with pytest.raises(ReadFailed, match=r"undecodable text \(not UTF-8"):
        decode_text(bytes(range(0x80, 0x100)) * 3)


def test_binary_content_is_not_writing() -> None:
    png_like = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    with pytest.raises(NotWriting, match="binary content in a text file"):
        decode_text(png_like)


def test_a_few_nul_bytes_are_removed_with_a_warning() -> None:
    data = b"A long enough line of honest prose. " * 20 + b"\x00\x00" + b"The end."
    text, warnings = decode_text(data)
    assert "\x00" not in text
    assert text.endswith("prose. The end.")
    assert warnings == ("2 NUL bytes removed",)


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n ", codecs.BOM_UTF8, codecs.BOM_UTF8 + b" \n"])
def test_empty_and_whitespace_only_are_not_writing(data: bytes) -> None:
    with pytest.raises(NotWriting, match="empty file"):
        decode_text(data)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_only_our_errors(data: bytes) -> None:
    try:
        text, _ = decode_text(data)
    except (NotWriting, ReadFailed):
        return
    assert text.strip()


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1))
def test_utf8_text_round_trips_exactly(text: str) -> None:
    if not text.strip():
        return
    assert decode_text(text.encode()) == (text, ())
