"""Inbound mail in the charsets Chinese customers' clients use (GB2312, GBK, GB18030, Big5):
bodies, RFC 2047 subjects and display names read correctly, also when GBK text is labelled
GB2312 (read as GB18030, its superset), in B and Q encoding, base64 and 8-bit bodies."""

import base64

import pytest

from tests.chinese_mail import (
    GBK_ONLY,
    SIMPLIFIED,
    TRADITIONAL,
    chinese_message,
    eight_bit_message,
    encoded_word,
)
from workflows.channels.inbound_parse import parse

CASES = [
    ("GB2312", "gb2312", SIMPLIFIED),
    ("gb2312", "gbk", GBK_ONLY),  # mislabelled: GBK bytes under a GB2312 label
    ("GBK", "gbk", GBK_ONLY),
    ("GB18030", "gb18030", GBK_ONLY),
    ("Big5", "big5", TRADITIONAL),
]


@pytest.mark.parametrize(("label", "codec", "text"), CASES)
@pytest.mark.parametrize("header_encoding", ["B", "Q"])
def test_body_subject_and_name_are_read_in_each_charset(
    label: str, codec: str, text: dict[str, str], header_encoding: str
) -> None:
    parsed = parse(chinese_message(label, codec, text, header_encoding=header_encoding))
    assert parsed.from_name == text["name"]
    assert parsed.from_address == "wangfang@example.cn"
    assert parsed.subject == text["subject"]
    assert parsed.text.splitlines() == text["body"].splitlines()
    assert "\ufffd" not in parsed.text + parsed.subject + (parsed.from_name or "")


@pytest.mark.parametrize(("label", "codec", "text"), CASES)
def test_eight_bit_bodies_are_read_too(label: str, codec: str, text: dict[str, str]) -> None:
    parsed = parse(eight_bit_message(label, codec, text))
    assert parsed.text.splitlines() == text["body"].splitlines()


def test_a_character_split_across_two_encoded_words_is_joined() -> None:
    data = "关于镕".encode("gbk")

    first = f"=?GB2312?B?{base64.b64encode(data[:3]).decode()}?="
    second = f"=?GB2312?B?{base64.b64encode(data[3:]).decode()}?="
    raw = chinese_message("GB2312", "gbk", GBK_ONLY).replace(
        encoded_word(GBK_ONLY["subject"], "GB2312", "gbk").encode(),
        f"Re: {first}\r\n {second}".encode(),
    )
    assert parse(raw).subject == "Re: 关于镕"


def test_mixed_recipients_and_a_plain_second_address_keep_their_names() -> None:
    raw = chinese_message(
        "gb2312",
        "gbk",
        GBK_ONLY,
        extra_headers=f"Cc: {encoded_word('李娜', 'gb2312', 'gbk')} <li@example.cn>, "
        "Bob <bob@example.com>\r\n",
    )
    assert parse(raw).cc == ["li@example.cn", "bob@example.com"]


def test_a_broken_encoded_word_falls_back_to_the_standard_reading() -> None:
    raw = chinese_message("GB2312", "gb2312", SIMPLIFIED).replace(
        encoded_word(SIMPLIFIED["subject"], "GB2312", "gb2312").encode(), b"=?GB2312?B?***?="
    )
    parsed = parse(raw)  # no exception; the subject is whatever the standard library makes of it
    assert parsed.from_name == SIMPLIFIED["name"]
    assert parsed.text.startswith("你好")


def test_utf8_subjects_are_read_as_before() -> None:
    raw = chinese_message("UTF-8", "utf-8", SIMPLIFIED)
    parsed = parse(raw)
    assert (parsed.subject, parsed.from_name) == (SIMPLIFIED["subject"], SIMPLIFIED["name"])
