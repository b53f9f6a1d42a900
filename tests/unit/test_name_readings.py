"""models/name_readings: pinyin of Chinese names for search keys, sort order and greetings."""

from models.name_readings import cjk_grams, greeting_name, pinyin_forms, sort_key


def test_pinyin_forms_hold_the_whole_pinyin_and_initials_from_each_syllable() -> None:
    assert pinyin_forms("张小明") == ["zhangxiaoming", "zxm", "xiaoming", "xm", "ming"]
    assert pinyin_forms("Anna Fang") == []
    assert pinyin_forms("王芳 Acme") == ["wangfang", "wf", "fang"]


def test_a_surname_is_read_as_a_surname_and_its_common_reading_kept() -> None:
    forms = pinyin_forms("单雄信")
    assert forms[0] == "shanxiongxin"
    assert "danxiongxin" in forms
    assert pinyin_forms("曾国藩")[0] == "zengguofan"
    # Only at the start of the name: 曾 inside a given name keeps its common reading.
    assert pinyin_forms("王曾")[0] == "wangceng"


def test_u_umlaut_is_typed_v() -> None:
    assert pinyin_forms("吕绿")[0] == "lvlv"


def test_cjk_grams_are_every_one_and_two_character_piece() -> None:
    assert cjk_grams("欧阳娜娜") == ["欧", "阳", "娜", "欧阳", "阳娜", "娜娜"]
    assert cjk_grams("Ana Lima") == []


def test_sort_key_orders_chinese_names_by_pinyin_among_latin_ones() -> None:
    names = ["Zoe", "王芳", "Anna", "汪芳", "李娜", "Lisa", "阿里", "Émile", "Wang Lei", "曾国藩"]
    assert sorted(names, key=sort_key) == [
        "阿里",
        "Anna",
        "Émile",
        "李娜",
        "Lisa",
        "汪芳",  # wāng before wáng
        "王芳",
        "Wang Lei",  # "wang fang" < "wang lei"
        "曾国藩",
        "Zoe",
    ]
    assert len(sort_key("王" * 200)) == 300


def test_greeting_name_keeps_a_chinese_name_whole() -> None:
    assert greeting_name("Ana Lima") == "Ana"
    assert greeting_name("王芳") == "王芳"
    assert greeting_name("欧阳 娜娜") == "欧阳娜娜"
    assert greeting_name(None) == ""
