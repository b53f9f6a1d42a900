"""Address layouts: China's from the largest part to the smallest (省 市 区 街道, then the
postal code), the Western one for every other country, nothing left out in either."""

from workflows.customers.addresses import PARTS, address_lines, as_dict, layout_for

SHENZHEN = {
    "country": "CN",
    "region": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "address_line": "科技园路1号",
    "postal_code": "518057",
}


def test_a_chinese_address_reads_from_province_to_street() -> None:
    assert address_lines(SHENZHEN) == ["广东省 深圳市 南山区 科技园路1号", "518057"]
    assert as_dict({**SHENZHEN, "country": "cn"})["layout"] == "cn"
    assert address_lines({"country": "CN", "city": "北京市", "district": "朝阳区"}) == [
        "北京市 朝阳区"
    ]


def test_a_western_address_keeps_its_order_and_shows_every_entered_part() -> None:
    berlin = {"address_line": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin"}
    assert address_lines({**berlin, "country": "DE"}) == [
        "Unter den Linden 1",
        "10117 Berlin",
        "DE",
    ]
    us = {
        "address_line": "1 Main St",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
    }
    assert address_lines({**us, "country": "US"}) == ["1 Main St", "62701 Springfield", "IL", "US"]
    # A Chinese address whose country was changed loses nothing: every part is still written.
    moved = address_lines({**SHENZHEN, "country": "SG"})
    assert moved == ["科技园路1号", "南山区", "518057 深圳市", "广东省", "SG"]


def test_layouts_by_country_and_the_form_order() -> None:
    assert [layout_for(c) for c in ("CN", " cn ", "TW", "DE", None, "")] == [
        "cn",
        "cn",
        "western",
        "western",
        "western",
        "western",
    ]
    assert PARTS["cn"][:5] == ("country", "region", "city", "district", "address_line")
    assert sorted(PARTS["cn"]) == sorted(PARTS["western"])
    assert address_lines({}) == []
