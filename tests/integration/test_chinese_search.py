"""Chinese names in customer search and name order, on the real database (SQLite and, with
RAPPORT_TEST_DATABASE=postgresql, PostgreSQL): one- and two-character pieces of a name, pinyin
and initials, Chinese mobile-number fragments, mixed Chinese/English text, pinyin sorting."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import CustomerSearchKey, Organisation
from tests.integration.teams_world import World, build
from web.extensions import db
from workflows.customers import profiles
from workflows.customers.queries import CustomerFilter, list_customers
from workflows.platform.clock import ManualClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _found(q: str, **kw: Any) -> list[str]:
    return [c.name for c in list_customers(db.session, CustomerFilter(q=q), **kw).items]


@pytest.fixture
def book(in_app: Flask) -> ManualClock:
    clock = ManualClock(T0)
    now = clock.now()
    acme = Organisation(name="Acme Trading", custom={}, created_at=now, updated_at=now)
    db.session.add(acme)
    db.session.flush()
    for data in (
        {"name": "王芳", "phones": "+86 139 1234 5678", "organisation_id": acme.id},
        {"name": "张伟", "phones": "+86 138 0013 8000"},
        {"name": "张小明"},
        {"name": "李娜"},
        {"name": "曾国藩"},
        {"name": "Walter Wang"},
        {"name": "Zhang Lei"},
        {"name": "Anna Fang", "phones": "+49 151 2345 6789"},
    ):
        profiles.create_customer(db.session, data, actor_id=None, clock=clock)
        clock.advance(timedelta(minutes=1))
    db.session.commit()
    return clock


def test_one_character_of_a_chinese_name_finds_it_anywhere_in_the_name(
    book: ManualClock,
) -> None:
    assert sorted(_found("张")) == ["张伟", "张小明"]
    assert _found("芳") == ["王芳"]  # the given name, not the start
    assert _found("明") == ["张小明"]
    assert _found("赵") == []


def test_two_characters_find_the_name_that_holds_them(book: ManualClock) -> None:
    assert _found("王芳") == ["王芳"]
    assert _found("张伟") == ["张伟"]
    assert _found("小明") == ["张小明"]
    assert _found("伟张") == []


def test_pinyin_finds_chinese_names_with_spaces_and_any_case(book: ManualClock) -> None:
    assert _found("wangfang") == ["王芳"]
    assert sorted(_found("zhangwei")) == ["张伟"]
    assert _found("Zhang Wei") == ["张伟"]
    assert _found("WANG FANG") == ["王芳"]
    assert _found("xiaoming") == ["张小明"]
    # A surname read as a surname (曾 zeng, not ceng), and the common reading still works.
    assert _found("zengguofan") == ["曾国藩"]
    assert _found("cengguofan") == ["曾国藩"]
    # Latin names keep being found by their letters.
    assert sorted(_found("zhang")) == ["Zhang Lei", "张伟", "张小明"]


def test_initials_find_chinese_names(book: ManualClock) -> None:
    assert _found("wf") == ["王芳"]
    assert _found("zw") == ["张伟"]
    assert _found("ZXM") == ["张小明"]
    assert _found("xm") == ["张小明"]  # the given name's initials
    assert _found("zgf") == ["曾国藩"]


def test_chinese_mobile_number_fragments(book: ManualClock) -> None:
    assert _found("139 1234") == ["王芳"]
    assert _found("13912345678") == ["王芳"]
    assert _found("+86 139-1234-5678") == ["王芳"]
    assert _found("138 0013") == ["张伟"]
    assert _found("+86 138-0013-8000") == ["张伟"]
    # Other countries' numbers still are found as before.
    assert _found("0151 2345") == ["Anna Fang"]


def test_mixed_chinese_and_english_text(book: ManualClock) -> None:
    assert _found("王芳 Acme") == ["王芳"]
    assert _found("芳 acme") == ["王芳"]
    assert _found("张伟 Acme") == []
    assert _found("wangfang acme") == ["王芳"]


def test_names_sort_by_pinyin_among_latin_names(book: ManualClock) -> None:
    assert _found("", sort="name") == [
        "Anna Fang",
        "李娜",
        "Walter Wang",
        "王芳",
        "曾国藩",
        "Zhang Lei",
        "张伟",
        "张小明",
    ]
    assert _found("", sort="-name")[0] == "张小明"


def test_name_order_pages_with_a_cursor(book: ManualClock) -> None:
    flt = CustomerFilter()
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = list_customers(db.session, flt, sort="name", limit=3, cursor=cursor)
        seen += [c.name for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == _found("", sort="name") and len(seen) == 8


def test_keys_follow_a_rename_and_leave_with_the_customer(book: ManualClock) -> None:
    (fang,) = list_customers(db.session, CustomerFilter(q="王芳")).items
    profiles.update_customer(
        db.session,
        fang,
        {"name": "王丽"},
        expected_version=fang.version,
        actor_id=None,
        clock=book,
    )
    db.session.commit()
    assert _found("芳") == []
    assert _found("wl") == ["王丽"]
    assert _found("wangli") == ["王丽"]
    profiles.delete_customer(db.session, fang, actor_id=None, clock=book)
    db.session.commit()
    assert _found("丽") == []
    assert (
        db.session.scalars(
            select(CustomerSearchKey.key).where(CustomerSearchKey.customer_id == fang.id)
        ).all()
        == []
    )


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    built = build(app, make_user)
    with app.app_context():
        clock = ManualClock(T0)
        profiles.create_customer(
            db.session, {"name": "王芳", "phones": "+8613912345678"}, actor_id=None, clock=clock
        )
        db.session.commit()
    return built


@pytest.mark.parametrize("q", ["王芳", "芳", "wangfang", "wf", "139 1234"])
def test_wang_fang_is_found_in_the_customer_list_global_search_and_picker(
    world: World, q: str
) -> None:
    page = world.page("agent")
    listing = page.get("/customers", query_string={"q": q})
    assert listing.status_code == 200
    assert "王芳" in listing.get_data(as_text=True)
    suggest = page.get("/search/suggest", query_string={"q": q}).get_json()
    customers = next(g["hits"] for g in suggest["groups"] if g["kind"] == "customers")
    assert [h["label"] for h in customers] == ["王芳"]
    picker = page.get("/requirements/new", query_string={"q": q})
    assert "王芳" in picker.get_data(as_text=True)
    api = world.api("agent", "GET", "/customers", query_string={"q": q}).get_json()
    assert [c["name"] for c in api["items"]] == ["王芳"]
