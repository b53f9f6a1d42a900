"""Step templates: refused when saved for a syntax error or an unknown variable; rendered in
the customer's language where a translation exists; sandboxed."""

from workflows.outreach import templates


def test_unknown_variables_and_attributes_are_named() -> None:
    found = templates.problems("Hi {{ customer.nickname }}, {{ voucher }}")
    assert any("voucher" in p for p in found)
    assert any("nickname" in p for p in found)


def test_a_syntax_error_names_its_line() -> None:
    (problem,) = templates.problems("line one\n{% if customer.name %}open")
    assert problem.startswith("Template error on line 2: Unexpected end of template.")
    assert "endif" in problem and not problem.endswith("..")


def test_the_sandbox_refuses_unsafe_access() -> None:
    assert templates.problems("{{ customer.__class__.__mro__ }}")
    assert templates.problems("{{ ''.__class__ }}")


def test_valid_templates_pass_and_render() -> None:
    text = "Dear {{ customer.first_name }} of {{ organisation.name }}: {{ requirement.title }}"
    assert templates.problems(text) == []
    assert templates.render({"body": text}, templates.sample_context()) == {
        "body": "Dear Ana of Example Ltd: Invoice missing"
    }


def test_texts_follow_the_customers_language() -> None:
    step = {
        "subject": "Hello",
        "body": "English body",
        "translations": {"de": {"subject": "Hallo", "body": ""}, "pt-BR": {"subject": "Olá"}},
    }
    assert templates.texts_for(step, "de-AT") == {"subject": "Hallo", "body": "English body"}
    assert templates.texts_for(step, "pt-BR")["subject"] == "Olá"
    assert templates.texts_for(step, "fr") == {"subject": "Hello", "body": "English body"}
    assert templates.texts_for(step, None)["subject"] == "Hello"
