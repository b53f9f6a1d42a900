"""The plain A/B sentence of the strategy effect panel in the viewer's language; English (the
API's text) when no locale is given."""

from tests.i18n_text import visible_english
from workflows.analytics import stats


def test_the_sentence_reads_in_chinese_with_the_same_figures() -> None:
    english = stats.compare(10, 200, 40, 200, labels=("A", "B")).sentence
    chinese = stats.compare(10, 200, 40, 200, labels=("A", "B"), locale="zh_Hans").sentence

    assert english.startswith("B beats A by 15.0 percentage points (95% interval")
    assert chinese.startswith("B 比 A 高 15.0 个百分点") and "95% 置信区间" in chinese
    assert not visible_english(chinese, allow=["A", "B"])


def test_every_kind_of_verdict_is_translated() -> None:
    cases = [
        (0, 0, 5, 50),  # no comparison yet
        (5, 50, 5, 50),  # the same rate
        (500, 1000, 505, 1000),  # cannot tell apart although enough enrolments
        (5, 50, 8, 50),  # cannot tell apart yet
    ]
    for counts in cases:
        sentence = stats.compare(*counts, labels=("A", "B"), locale="zh-CN").sentence
        assert not visible_english(sentence, allow=["A", "B"]), sentence
