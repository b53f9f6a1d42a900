# ruff: noqa: RUF001 - the Chinese text uses fullwidth punctuation, as Chinese does
"""Texts stored or built in English — an SLA clock's history, the timeline notes the system
writes, the duplicate finder's reasons, the default lifecycle stages — shown in the reader's
language (rows written before they were msgids too), and still English to an English reader;
the keyboard overlay's words, the confirming buttons' sentences and "Show images" too."""

import html as html_module
import json
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from models import Customer, LifecycleStage, User
from tests.integration import test_pages_in_chinese
from web.extensions import db
from web.requirements import clock_texts
from web.templating import date_words, message_body
from workflows.tracking import clock_words

chinese = test_pages_in_chinese.chinese  # the Chinese pages' world (a fixture)


def _in(app: Flask, locale: str, call: Any) -> Any:
    with app.test_request_context(), force_locale(locale):
        return call()


def test_stored_clock_texts_read_back_in_chinese(app: Flask) -> None:
    old_why = "reply_sent: waiting on customer → in progress"  # as rows before the msgids read
    assert _in(app, "zh_Hans", lambda: clock_texts.why(old_why)).endswith("→ 处理中")
    assert "：" in _in(app, "zh_Hans", lambda: clock_texts.why(old_why))
    started = clock_words.say(
        clock_words.TARGET, why=clock_words.say(clock_words.OPENED), target="8 h"
    )
    assert started == "requirement opened; target 8 h of business time"
    assert (
        _in(app, "zh_Hans", lambda: clock_texts.why(started))
        == "需求已创建；目标为 8 小时 工作时间"
    )
    assert _in(app, "en", lambda: clock_texts.why(started)) == started
    assert (
        _in(app, "zh_Hans", lambda: clock_texts.what("escalated (rung 2)")) == "已升级（第 2 级）"
    )
    assert _in(app, "zh_Hans", lambda: clock_texts.why("80 % of the target used")) == (
        "已用去目标时长的 80%"
    )
    actions = "priority raised to urgent; moved to team 3"
    assert _in(app, "zh_Hans", lambda: clock_texts.why(actions)) == (
        "优先级提升为紧急；已移交团队 3"
    )
    note = "First response escalation rung 1: priority raised to high"
    assert _in(app, "zh_Hans", lambda: clock_texts.note(note)).startswith("首次响应升级第 1 级：")
    typed = "客户说下周再联系"  # a note a person typed stays as it is
    assert _in(app, "zh_Hans", lambda: clock_texts.note(typed)) == typed
    assert _in(app, "zh_Hans", lambda: clock_texts.note("Call back on Monday")) == (
        "Call back on Monday"
    )


def test_requirement_page_shows_the_clock_history_in_chinese(app: Flask, chinese: Any) -> None:
    world, client = chinese
    html = client.get(f"/requirements/{world.requirement}").get_data(as_text=True)
    assert "需求已创建；目标为 1 小时 工作时间" in html
    assert "requirement opened" not in html
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.name == "李主管"))
        lead.language = "en"
        db.session.commit()
    html = client.get(f"/requirements/{world.requirement}").get_data(as_text=True)
    assert "requirement opened; target 1 h of business time" in html


def test_duplicate_reasons_and_default_stages_in_chinese(app: Flask, chinese: Any) -> None:
    world, client = chinese
    html = client.get("/duplicates").get_data(as_text=True)
    assert "同一组织内姓名相近" in html
    assert "similar name" not in html
    with app.app_context():
        lead_stage = db.session.scalar(select(LifecycleStage).where(LifecycleStage.key == "lead"))
        db.session.get(Customer, world.customer).stage_id = lead_stage.id
        churned = db.session.scalar(select(LifecycleStage).where(LifecycleStage.key == "churned"))
        churned.name = "Gone quiet"  # renamed by an admin: shown as named
        db.session.commit()
    html = client.get(f"/customers/{world.customer}").get_data(as_text=True)
    assert '<span class="badge">线索</span>' in html
    listing = client.get("/customers").get_data(as_text=True)
    assert ">潜在客户</option>" in listing
    assert ">Gone quiet</option>" in listing


def test_the_keyboard_overlay_and_confirm_buttons_get_chinese_words(
    app: Flask, chinese: Any
) -> None:
    world, client = chinese
    html = client.get(f"/requirements/{world.requirement}").get_data(as_text=True)
    words = json.loads(html_module.unescape(html.split('data-words="')[1].split('"')[0]))
    assert words["keys_title"] == "键盘快捷键"
    assert words["keys_then"] == "先按 g 再按 %(key)s"
    assert words["keys_new_here"] == "为此客户新建需求"
    assert 'data-confirm-label="是，取消"' in html  # the cancel trigger's own sentence
    queue = client.get("/requirements?queue=all").get_data(as_text=True)
    assert 'data-confirm-label="是，取消"' in queue  # the bulk form's option
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.name == "李主管"))
        lead.language = "en"
        db.session.commit()
    html = client.get(f"/requirements/{world.requirement}").get_data(as_text=True)
    assert 'data-confirm-label="Yes, cancel it"' in html
    words = json.loads(html_module.unescape(html.split('data-words="')[1].split('"')[0]))
    assert words["keys_title"] == "Keyboard shortcuts"


def test_show_images_in_chinese(app: Flask) -> None:
    body = '<p>hi</p><img src="https://tracker.example/p.png">'
    assert "显示图片（1）" in _in(app, "zh_Hans", lambda: str(message_body(body)))
    assert "Show images (1)" in _in(app, "en", lambda: str(message_body(body)))


def test_a_day_in_words_in_the_viewers_language(app: Flask) -> None:
    day = date(2099, 1, 5)
    assert _in(app, "zh_Hans", lambda: str(date_words(day))) == (
        '<time datetime="2099-01-05">2099年1月5日</time>'
    )
    assert _in(app, "en", lambda: str(date_words("2099-01-05"))) == (
        '<time datetime="2099-01-05">January 5, 2099</time>'
    )
    late = datetime(2099, 1, 5, 20, tzinfo=UTC)  # already the 6th in Shanghai's zone
    with app.test_request_context(), force_locale("zh_Hans"):
        app.config["DEFAULT_TIMEZONE"] = "Asia/Shanghai"
        try:
            assert "2099年1月6日" in str(date_words(late))
        finally:
            app.config["DEFAULT_TIMEZONE"] = "UTC"


def test_the_customer_timeline_shows_the_transaction_day_in_chinese(chinese: Any) -> None:
    world, client = chinese
    html = client.get(f"/customers/{world.customer}").get_data(as_text=True)
    assert '<time datetime="2099-01-04">2099年1月4日</time>' in html
