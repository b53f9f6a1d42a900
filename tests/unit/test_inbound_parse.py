# ruff: noqa: RUF001 - the Chinese text uses fullwidth punctuation, as real mail does
"""Parsing received mail: a corpus of real-world-shaped messages, each with the text a person
sees, the whole text kept, its attachments and what kind of message it is."""

import pytest

from workflows.channels.inbound_parse import MalformedEmail, bare_subject, parse


def msg(text: str) -> bytes:
    return text.lstrip("\n").replace("\n", "\r\n").encode()


GMAIL_ALTERNATIVE = msg("""
From: =?utf-8?b?Sm9zw6kgTsO6w7Fleg==?= <Jose@Example.org>
To: Rapport Support <support@example.com>
Subject: Re: [#42] Invoice missing
Message-ID: <CAGmail123@mail.gmail.com>
In-Reply-To: <reply-1@example.com>
References: <thread-r42@example.com> <reply-1@example.com>
Date: Fri, 4 Dec 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset="UTF-8"

Thanks, the invoice arrived.

Best regards,
Jos\u00e9

On Thu, Dec 3, 2026 at 9:00 AM Rapport Support <support@example.com> wrote:
> Did the invoice arrive?
> Rapport

--b1
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">Thanks, the invoice arrived.<br><br>Best regards,<br>Jos\u00e9</div>
<div class="gmail_quote">On Thu, Dec 3, 2026 at 9:00 AM Rapport Support wrote:
<blockquote>Did the invoice arrive?</blockquote></div><script>alert(1)</script>
--b1--
""")

OUTLOOK_HTML_ONLY = msg("""
From: Ana Lima <ana@example.com>
To: support@example.com
Subject: RE: Contract renewal
Message-ID: <AM0PR01MB1234@outlook.com>
MIME-Version: 1.0
Content-Type: text/html; charset="us-ascii"

<html><body><p>Yes, please renew for another year.</p><p>Ana</p>
<div id="divRplyFwdMsg"><hr><b>From:</b> Rapport Support &lt;support@example.com&gt;<br>
<b>Sent:</b> Thursday, December 3, 2026 9:00 AM<br><b>To:</b> Ana Lima<br>
<b>Subject:</b> Contract renewal</div><p>Shall we renew?</p>
<img src="https://tracker.example/pixel.gif" onerror="steal()"></body></html>
""")

LATIN1_QUOTED_PRINTABLE = msg("""
From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <juergen@example.de>
To: support@example.com
Subject: =?iso-8859-1?q?Rechnung_f=FCr_M=E4rz?=
Message-ID: <qp-1@example.de>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe aus K=F6ln, die Rechnung ist falsch. Caf=E9 =97 =80
""")

BASE64_ATTACHMENT = msg("""
From: ana@example.com
To: support@example.com
Subject: Scan of the receipt
Message-ID: <att-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mix"

--mix
Content-Type: text/plain; charset=utf-8

Here is the receipt.

--mix
Content-Type: application/pdf; name="receipt.pdf"
Content-Disposition: attachment; filename="receipt.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQgdGlueSBpbnZvaWNl
--mix
Content-Type: image/png; name="=?utf-8?q?d=C3=A9tail.png?="
Content-Disposition: inline; filename*=utf-8''d%C3%A9tail.png
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--mix--
""")

GBK_LABELLED_GB2312 = msg("""
From: =?gb2312?b?wO7D9w==?= <liming@example.cn>
To: support@example.com
Subject: =?gb2312?b?t6LGsc7KzOI=?=
Message-ID: <gbk-1@example.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset="gb2312"
Content-Transfer-Encoding: base64

xPq6w6Ost6LGsdLRytW1vaGjx+vOyoa01PXDtLDso78=
""")

BIG5 = msg("""
From: =?big5?b?s6+kaqTl?= <chan@example.hk>
To: support@example.com
Subject: Re: ticket
Message-ID: <big5-1@example.hk>
Content-Type: text/plain; charset=big5
Content-Transfer-Encoding: base64

wcLBwqFBsN3DRKR3uNGoTaFD
""")

AUTO_REPLY = msg("""
From: Ana Lima <ana@example.com>
To: support+r42-abc@example.com
Subject: Automatic reply: [#42] Invoice missing
Auto-Submitted: auto-replied
X-Autoreply: yes
Message-ID: <oof-1@example.com>
Content-Type: text/plain; charset=utf-8

I am out of the office until Monday.
""")

OOF_SUBJECT_ONLY = msg("""
From: ana@example.com
To: support@example.com
Subject: Out of Office: Invoice missing
Message-ID: <oof-2@example.com>
Content-Type: text/plain; charset=utf-8

Back on Monday.
""")

BULK = msg("""
From: news@example.net
To: support@example.com
Subject: Our newsletter
Precedence: bulk
Message-ID: <bulk-1@example.net>
Content-Type: text/plain

News.
""")

DSN = msg("""
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: rapport@example.com
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
Message-ID: <dsn-1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="rep"

--rep
Content-Type: text/plain; charset=us-ascii

This is the mail system. Your message could not be delivered.

--rep
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; Gone@Example.org
Original-Recipient: rfc822;gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected

--rep
Content-Type: text/rfc822-headers

From: Rapport <rapport@example.com>
To: gone@example.org
Subject: Your requirement
Message-ID: <notice-77@example.com>

--rep--
""")

NO_MESSAGE_ID = msg("""
From: ana@example.com
To: support@example.com
Subject: hello

Just text.
""")


def test_multipart_alternative_from_gmail() -> None:
    parsed = parse(GMAIL_ALTERNATIVE)
    assert parsed.from_address == "jose@example.org"
    assert parsed.from_name == "Jos\u00e9 N\u00fa\u00f1ez"
    assert parsed.message_id == "<CAGmail123@mail.gmail.com>"
    assert parsed.in_reply_to == ["<reply-1@example.com>"]
    assert parsed.references == ["<thread-r42@example.com>", "<reply-1@example.com>"]
    assert parsed.reply_text == "Thanks, the invoice arrived."
    assert "Did the invoice arrive?" in parsed.text  # the whole text is kept
    assert "<script" not in (parsed.html or "") and "alert" not in (parsed.html or "")
    assert "gmail_quote" not in (parsed.html or "")  # nh3 drops class attributes
    assert parsed.automatic is None and not parsed.is_bounce and parsed.attachments == []


def test_html_only_from_outlook() -> None:
    parsed = parse(OUTLOOK_HTML_ONLY)
    assert parsed.reply_text.startswith("Yes, please renew for another year.")
    assert "Shall we renew?" not in parsed.reply_text
    assert "Shall we renew?" in parsed.text
    assert "onerror" not in (parsed.html or "") and "steal" not in (parsed.html or "")
    assert "<p>Yes, please renew for another year.</p>" in (parsed.html or "")


def test_quoted_printable_latin1_with_encoded_headers() -> None:
    parsed = parse(LATIN1_QUOTED_PRINTABLE)
    assert parsed.from_name == "J\u00fcrgen M\u00fcller"
    assert parsed.subject == "Rechnung f\u00fcr M\u00e4rz"
    # Labelled ISO-8859-1, read as Windows-1252 as mail clients do: 0x97 is an em dash.
    assert parsed.reply_text == (
        "Gr\u00fc\u00dfe aus K\u00f6ln, die Rechnung ist falsch. Caf\u00e9 \u2014 \u20ac"
    )


def test_base64_attachments_with_encoded_names() -> None:
    parsed = parse(BASE64_ATTACHMENT)
    assert parsed.reply_text == "Here is the receipt."
    assert [(a.filename, a.content_type, a.data, a.is_inline) for a in parsed.attachments] == [
        ("receipt.pdf", "application/pdf", b"%PDF-1.4 tiny invoice", False),
        ("d\u00e9tail.png", "image/png", b"\x89PNG\r\n\x1a\n", True),
    ]


def test_gbk_text_labelled_gb2312() -> None:
    parsed = parse(GBK_LABELLED_GB2312)
    assert parsed.from_name == "\u674e\u660e"
    assert parsed.subject == "\u53d1\u7968\u95ee\u9898"
    # "喆" is in GBK, not in GB2312: the superset codec reads it instead of a replacement mark.
    assert parsed.reply_text == "您好，发票已收到。请问喆怎么办？"


def test_big5() -> None:
    parsed = parse(BIG5)
    assert parsed.from_name == "陳大文"
    assert parsed.reply_text == "謝謝，問題已解決。"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (AUTO_REPLY, "Auto-Submitted: auto-replied"),
        (OOF_SUBJECT_ONLY, "out-of-office subject"),
        (BULK, "Precedence: bulk"),
    ],
)
def test_automatic_messages_are_recognised(raw: bytes, reason: str) -> None:
    assert parse(raw).automatic == reason


def test_delivery_status_notification() -> None:
    parsed = parse(DSN)
    assert parsed.is_bounce
    assert [(f.address, f.status) for f in parsed.failed_recipients] == [
        ("gone@example.org", "5.1.1")
    ]
    assert "Recipient address rejected" in parsed.failed_recipients[0].diagnostic
    assert parsed.bounced_message_ids == ["<notice-77@example.com>"]
    assert parsed.attachments == []


def test_a_message_without_message_id_gets_one_from_its_digest() -> None:
    first, again = parse(NO_MESSAGE_ID), parse(NO_MESSAGE_ID)
    assert not first.has_own_message_id
    assert first.message_id == again.message_id == f"<{first.sha256}@inbound.rapport>"


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"just some bytes without a header"])
def test_unreadable_input_is_refused(raw: bytes) -> None:
    with pytest.raises(MalformedEmail):
        parse(raw)


def test_bare_subject_drops_reply_prefixes() -> None:
    assert bare_subject("Re: AW: Fwd: Invoice") == "Invoice"
    assert bare_subject("回复：发票") == "发票"


OUTLOOK_PLAIN = msg("""
From: Ana Lima <ana@example.com>
To: support@example.com
Subject: RE: [#42] Order
Message-ID: <outlook-plain@example.com>
Content-Type: text/plain; charset=windows-1252

Please cancel the order.

-----Original Message-----
From: Rapport Support <support@example.com>
Sent: Thursday, December 3, 2026 9:00 AM
To: Ana Lima <ana@example.com>
Subject: [#42] Order

Shall we ship?
""")


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (
            "Merci, c'est re\u00e7u.\n\nLe jeu. 3 d\u00e9c. 2026 \u00e0 09:00, Rapport "
            "<support@example.com> a \u00e9crit :\n> Avez-vous re\u00e7u la facture ?",
            "Merci, c'est re\u00e7u.",
        ),
        (
            "Danke!\n\nAm Do., 3. Dez. 2026 um 09:00 Uhr schrieb Rapport "
            "<support@example.com>:\n> Ist die Rechnung angekommen?",
            "Danke!",
        ),
    ],
)
def test_quoting_in_other_languages_is_trimmed(body: str, shown: str) -> None:
    raw = (
        "From: a@example.com\nTo: support@example.com\nSubject: Re: x\nMessage-ID: <l@x>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
    assert parse(raw.replace("\n", "\r\n").encode()).reply_text == shown


def test_plain_text_outlook_quoting_is_trimmed() -> None:
    parsed = parse(OUTLOOK_PLAIN)
    assert parsed.reply_text == "Please cancel the order."
    assert "Shall we ship?" in parsed.text
