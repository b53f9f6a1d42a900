# ruff: noqa: RUF001 - Chinese text has full-width punctuation
"""Raw messages as Chinese mail clients send them, built byte by byte: bodies in GB2312, GBK,
GB18030 or Big5 and RFC 2047 subjects and display names in the same charset, including the
common mislabelling of GBK text as GB2312. Shared by the unit, integration and e2e tests."""

import base64
import quopri

# Text each charset can hold; 镕 and 發 are in GBK and GB18030 but not in GB2312, so a client
# that labels GBK text "GB2312" sends bytes a strict GB2312 decoder cannot read.
SIMPLIFIED = {
    "name": "王芳",
    "subject": "订单没有收到",
    "body": "你好，我的订单还没有到。\r\n谢谢！",
}
GBK_ONLY = {"name": "朱镕", "subject": "關於發票的问题", "body": "发票抬头：朱镕基金會\r\n谢谢"}
TRADITIONAL = {
    "name": "陳大文",
    "subject": "關於發票的問題",
    "body": "您好，我的發票還沒有收到。\r\n謝謝！",
}


def encoded_word(text: str, label: str, codec: str, encoding: str = "B") -> str:
    data = text.encode(codec)
    if encoding == "B":
        return f"=?{label}?B?{base64.b64encode(data).decode()}?="
    quoted = quopri.encodestring(data, header=True).decode().replace("=\n", "")
    return f"=?{label}?Q?{quoted}?="


def chinese_message(
    label: str,
    codec: str,
    text: dict[str, str],
    *,
    sender: str = "wangfang@example.cn",
    to: str = "support@example.com",
    message_id: str = "<zh-1@example.cn>",
    header_encoding: str = "B",
    extra_headers: str = "",
) -> bytes:
    """A text/plain message labelled `label` whose bytes are `codec`'s, base64 on the wire."""
    name = encoded_word(text["name"], label, codec, header_encoding)
    subject = encoded_word(text["subject"], label, codec, header_encoding)
    head = (
        f"From: {name} <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n{extra_headers}"
        f"Content-Type: text/plain; charset={label}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode("ascii") + base64.encodebytes(text["body"].encode(codec))


def eight_bit_message(label: str, codec: str, text: dict[str, str], **kw: str) -> bytes:
    """The same with an 8-bit body (Content-Transfer-Encoding: 8bit), as older clients send."""
    raw = chinese_message(label, codec, text, **kw)
    head, _, _ = raw.partition(b"\r\n\r\n")
    head = head.replace(b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: 8bit")
    return head + b"\r\n\r\n" + text["body"].encode(codec) + b"\r\n"
