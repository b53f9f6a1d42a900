# ruff: noqa: RUF001 - the Chinese text uses fullwidth punctuation, as Chinese does
"""Workflow state, trigger and timer words in the reader's language; codes never change."""

from workflows.tracking import workflow_words
from workflows.tracking.sales_workflow import SALES
from workflows.tracking.support_workflow import SUPPORT


def test_labels_in_chinese_for_a_named_locale() -> None:
    assert workflow_words.state_label("waiting_on_customer", "support", "zh_Hans") == "等待客户回复"
    assert workflow_words.trigger_label("ask_customer", "support", "zh_Hans") == "询问客户"
    assert workflow_words.trigger_label("sla_breach", None, "zh_Hans") == "SLA 已超时"
    assert workflow_words.timer_label("first_response:rung_2", None, "zh_Hans") == (
        "首次响应第 2 级升级"
    )
    assert workflow_words.timer_label("resolution:breach", None, "zh_Hans") == "解决超时"
    assert SALES.state_label("proposal", "zh_Hans") == "已发送方案"
    assert SUPPORT.confirmation("cancel", "zh_Hans") == (
        "取消后将停止其 SLA 计时和提醒，并从所有队列中移除。只有主管可在 14 天内重新打开。"
    )


def test_labels_in_english_without_a_locale_or_request() -> None:
    assert workflow_words.state_label("waiting_on_customer", "support") == "waiting on customer"
    assert workflow_words.timer_label("first_response:rung_2") == "first response escalation 2"
    assert workflow_words.timer_label("first_response:warning") == "first response at-risk warning"
    assert str(SUPPORT.label) == "Support request"
    assert "within 14 days" in str(SUPPORT.confirmations["cancel"])
    # The declared value, what JSON and comparisons see, stays the English msgid.
    assert SUPPORT.label == "Support request"
