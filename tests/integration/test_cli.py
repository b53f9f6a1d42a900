"""`flask users …`, `flask tokens …` and `flask demo load`, run through Flask's CLI runner on the
real database; what they print is then used the way a person would use it."""

import re
from datetime import timedelta
from typing import Any

from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from models import (
    ApiToken,
    Calendar,
    Customer,
    OutboxMessage,
    OutboxStatus,
    Requirement,
    Role,
    SlaClock,
    SlaPolicy,
    SlaPolicyVersion,
    Strategy,
    Team,
    TeamMembership,
    User,
)
from tests.conftest import PASSWORD, login
from web import demo_china, demo_outreach
from web.clocks import current_clock
from web.demo import COMMUNICATIONS, CUSTOMERS, ORGANISATIONS, TEAMS, TRANSACTIONS
from web.extensions import db
from workflows.analytics import sales, strategy_results, support
from workflows.analytics.filters import RequirementFilter
from workflows.analytics.ranges import parse_range


def run(app: Flask, *args: str, stdin: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def printed_password(result: Result) -> str:
    match = re.search(r"Password \(shown once[^)]*\): (\S+)", result.output)
    assert match, result.output
    return match.group(1)


def signs_in(app: Flask, email: str, password: str) -> bool:
    return login(app.test_client(), email, password).status_code == 302


def count(app: Flask, model: type, *where: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored_user(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


# ---------------------------------------------------------------- users create


def test_users_create_with_a_generated_password_that_signs_in(app: Flask) -> None:
    result = run(
        app,
        "users",
        "create",
        "--email",
        "Ana.Silva@Example.com",
        "--role",
        "supervisor",
        "--name",
        "Ana Silva",
        "--time-zone",
        "America/Sao_Paulo",
        "--generate-password",
    )
    assert result.exit_code == 0, result.output
    assert "Created supervisor ana.silva@example.com" in result.output
    password = printed_password(result)
    assert result.output.count(password) == 1

    user = stored_user(app, "ana.silva@example.com")
    assert (user.name, user.role, user.time_zone) == (
        "Ana Silva",
        Role.SUPERVISOR,
        "America/Sao_Paulo",
    )
    assert signs_in(app, "ana.silva@example.com", password)


def test_users_create_reads_the_password_from_the_prompt(app: Flask) -> None:
    result = run(app, "users", "create", "--email", "bo@example.com", stdin=f"{PASSWORD}\n" * 2)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    user = stored_user(app, "bo@example.com")
    assert user.role is Role.AGENT
    assert user.time_zone == app.config["DEFAULT_TIMEZONE"]
    assert signs_in(app, "bo@example.com", PASSWORD)


def test_users_create_refuses_an_invalid_email_and_creates_nothing(app: Flask) -> None:
    result = run(app, "users", "create", "--email", "ana.example.com", "--generate-password")
    assert result.exit_code == 1
    assert "Error: email:" in result.output
    assert "@" in result.output  # says what is wrong with it
    assert "Password" not in result.output
    assert count(app, User) == 0


def test_users_create_refuses_an_unknown_role_and_creates_nothing(app: Flask) -> None:
    result = run(
        app,
        "users",
        "create",
        "--email",
        "ana@example.com",
        "--role",
        "boss",
        "--generate-password",
    )
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.output
    assert "'agent', 'supervisor', 'admin'" in result.output
    assert count(app, User) == 0


def test_users_create_refuses_an_unknown_time_zone(app: Flask) -> None:
    result = run(
        app,
        "users",
        "create",
        "--email",
        "ana@example.com",
        "--time-zone",
        "Mars/Olympus_Mons",
        "--generate-password",
    )
    assert result.exit_code == 1
    assert "Error: time_zone: Unknown time zone 'Mars/Olympus_Mons'." in result.output
    assert count(app, User) == 0


def test_users_create_takes_the_role_in_any_case(app: Flask) -> None:
    result = run(
        app,
        "users",
        "create",
        "--email",
        "ana@example.com",
        "--role",
        "Admin",
        "--password",
        PASSWORD,
    )
    assert result.exit_code == 0, result.output
    assert stored_user(app, "ana@example.com").role is Role.ADMIN


def test_users_create_refuses_a_short_password_and_a_duplicate(app: Flask) -> None:
    short = run(app, "users", "create", "--email", "ana@example.com", "--password", "short")
    assert short.exit_code == 1
    assert "Error: password: Use at least 10 characters." in short.output
    assert count(app, User) == 0

    assert (
        run(app, "users", "create", "--email", "ana@example.com", "--password", PASSWORD).exit_code
        == 0
    )
    again = run(app, "users", "create", "--email", "ANA@example.com", "--password", PASSWORD)
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert count(app, User) == 1


# ---------------------------------------------------------------- users set-password, list


def test_users_set_password_replaces_the_old_one(app: Flask, make_user: Any) -> None:
    user = make_user(Role.AGENT)
    result = run(
        app, "users", "set-password", "--email", user.email, "--password", "a new long secret"
    )
    assert result.exit_code == 0, result.output
    assert f"Password of {user.email} changed." in result.output
    assert signs_in(app, user.email, "a new long secret")
    assert not signs_in(app, user.email, PASSWORD)


def test_users_set_password_from_the_prompt_or_generated(app: Flask, make_user: Any) -> None:
    user = make_user(Role.AGENT)
    prompted = run(
        app, "users", "set-password", "--email", user.email, stdin="prompted secret\n" * 2
    )
    assert prompted.exit_code == 0, prompted.output
    assert signs_in(app, user.email, "prompted secret")

    generated = run(app, "users", "set-password", "--email", user.email, "--generate-password")
    assert generated.exit_code == 0, generated.output
    assert signs_in(app, user.email, printed_password(generated))


def test_users_set_password_errors_change_nothing(app: Flask, make_user: Any) -> None:
    user = make_user(Role.AGENT)
    unknown = run(
        app, "users", "set-password", "--email", "nobody@example.com", "--password", "x" * 12
    )
    assert unknown.exit_code == 1
    assert "No user with email nobody@example.com." in unknown.output
    short = run(app, "users", "set-password", "--email", user.email, "--password", "short")
    assert short.exit_code == 1
    assert "Use at least 10 characters." in short.output
    assert signs_in(app, user.email, PASSWORD)


def test_users_list_shows_everyone(app: Flask, make_user: Any) -> None:
    agent = make_user(Role.AGENT, name="Ada Agent")
    admin = make_user(Role.ADMIN, name="Al Admin")
    result = run(app, "users", "list")
    assert result.exit_code == 0
    assert re.search(rf"agent\s+{re.escape(agent.email)}\s+Ada Agent", result.output)
    assert re.search(rf"admin\s+{re.escape(admin.email)}\s+Al Admin", result.output)


# ---------------------------------------------------------------- users ensure-admin


def test_users_ensure_admin_creates_one_admin_once(app: Flask) -> None:
    first = run(app, "users", "ensure-admin")
    assert first.exit_code == 0, first.output
    assert "Admin user: admin@example.com" in first.output
    password = printed_password(first)
    assert signs_in(app, "admin@example.com", password)

    second = run(app, "users", "ensure-admin")
    assert second.exit_code == 0
    assert "An admin user exists already" in second.output
    assert "Password" not in second.output
    other = run(app, "users", "ensure-admin", "--email", "root@example.com")
    assert other.exit_code == 0
    assert count(app, User, User.role == Role.ADMIN) == 1
    assert signs_in(app, "admin@example.com", password)  # the first password still works


def test_users_ensure_admin_refuses_an_invalid_email_cleanly(app: Flask) -> None:
    result = run(app, "users", "ensure-admin", "--email", "admin")
    assert result.exit_code == 1
    assert "Error: email:" in result.output
    assert "Traceback" not in result.output
    assert count(app, User) == 0


# ---------------------------------------------------------------- tokens


def test_tokens_create_prints_a_token_for_the_api(app: Flask, make_user: Any) -> None:
    user = make_user(Role.SUPERVISOR)
    result = run(app, "tokens", "create", "--email", user.email, "--name", "billing sync")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("rpt_")

    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.name == "billing sync"
        assert secret not in (token.token_digest, token.prefix)


def test_tokens_revoke_ends_api_access(app: Flask, make_user: Any) -> None:
    user = make_user(Role.AGENT)
    created = run(app, "tokens", "create", "--email", user.email, "--name", "zapier")
    token_id = re.search(r"Token (\d+) for", created.output).group(1)
    secret = created.output.strip().splitlines()[-1]

    result = run(app, "tokens", "revoke", token_id)
    assert result.exit_code == 0, result.output
    assert f"Token {token_id} revoked." in result.output
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_tokens_errors_are_clear(app: Flask, make_user: Any) -> None:
    user = make_user(Role.AGENT)
    unknown_user = run(app, "tokens", "create", "--email", "nobody@example.com", "--name", "x")
    assert unknown_user.exit_code == 1
    assert "No user with email nobody@example.com." in unknown_user.output
    blank_name = run(app, "tokens", "create", "--email", user.email, "--name", "  ")
    assert blank_name.exit_code == 1
    assert "Error: name:" in blank_name.output
    unknown_token = run(app, "tokens", "revoke", "999")
    assert unknown_token.exit_code == 1
    assert "No token 999." in unknown_token.output
    assert count(app, ApiToken) == 0


# ---------------------------------------------------------------- demo


def test_demo_load_is_idempotent(app: Flask) -> None:
    people = sum(len(members) for members in TEAMS.values()) + len(demo_china.PEOPLE)
    teams = len(TEAMS) + 1  # and the Chinese team
    # Three requirements and two calendars and two policies, plus the Chinese team's four
    # requirements, its calendar and policy and its organisation.
    requirements, sla_records = 3 + 4, 4 + 2
    records = (
        len(ORGANISATIONS)
        + 1
        + len(CUSTOMERS)
        + len(demo_china.CUSTOMERS)
        + len(COMMUNICATIONS)
        + len(demo_china.COMMUNICATIONS)
        + len(TRANSACTIONS)
        + len(demo_china.TRANSACTIONS)
        + requirements
        + sla_records
    )
    first = run(app, "demo", "load", "--history-days", "0")
    assert first.exit_code == 0, first.output
    assert f"({teams + people + records} new records)" in first.output

    second = run(app, "demo", "load", "--history-days", "0")
    assert second.exit_code == 0, second.output
    assert "(0 new records)" in second.output
    assert count(app, Team) == teams
    assert count(app, User) == people
    assert count(app, TeamMembership) == people
    assert count(app, Customer) == len(CUSTOMERS) + len(demo_china.CUSTOMERS)
    assert count(app, Requirement) == requirements
    assert count(app, SlaPolicy) == 3
    # Every demo requirement counts under a policy; the urgent one is already at risk.
    assert count(app, SlaClock) >= 2 * requirements
    supervisors = count(app, TeamMembership, TeamMembership.is_supervisor)
    assert supervisors == sum(
        1 for members in TEAMS.values() for *_, role, _ in members if role is Role.SUPERVISOR
    ) + sum(1 for *_, role in demo_china.PEOPLE if role is Role.SUPERVISOR)


def test_demo_history_fills_the_reports_and_sends_nothing(app: Flask) -> None:
    loaded = run(app, "demo", "load", "--history-days", "4")
    assert loaded.exit_code == 0, loaded.output
    with app.app_context():
        days = parse_range(None, None, "UTC", today=current_clock().now().date())
        report = support.support_report(db.session, days, RequirementFilter(workflow="support"))
        assert report["requirements"] >= 3 + 4 * 3  # the demo's own three, 3-8 a day
        assert sum(row[2] for row in report["flow"]["rows"]) > 0  # some were resolved
        assert any(row[1] for row in report["durations"]["rows"])  # clocks met, time stored
        revenue = sales.sales_report(
            db.session, days, RequirementFilter(), today=current_clock().now().date()
        )["lifetime_value"]["summary"]["rows"]
        assert {row[0] for row in revenue} == {"EUR", "USD", "CNY"}  # never summed together
        # Open opportunities with amounts and expected close dates: a pipeline to chart, the
        # demo's own deals in USD and CNY among them, each currency apart.
        pipeline = sales.sales_report(
            db.session, days, RequirementFilter(), today=current_clock().now().date()
        )["pipeline_value"]
        assert {"USD", "CNY"} <= {row[1] for row in pipeline["by_month"]["rows"]}
        assert pipeline["open_opportunities"] == sum(
            row[2] for row in pipeline["by_month"]["rows"]
        ) + sum(row[1] for row in pipeline["unscheduled"]["rows"])
        # The demo strategy has run: a holdout and both variants enrolled, replies stopped
        # some, and the page can say whether B beats A.
        strategy = db.session.scalar(select(Strategy).where(Strategy.name == demo_outreach.NAME))
        results = strategy_results.strategy_results(db.session, strategy, clock=current_clock())
        arms = {row[0]: row for row in results["arms"]["rows"]}
        assert set(arms) == {"contacted", "holdout", "step 1 · A", "step 1 · B"}
        assert all(arms[name][4] >= 20 for name in arms)  # enrolled
        assert arms["step 1 · B"][6] > arms["step 1 · A"][6] > 0  # replied
        assert results["verdicts"][1].startswith("Goal rate: B beats A by")
        # The back-dated notices and outreach emails were suppressed, not left to go out late.
        assert not db.session.scalar(
            select(func.count()).where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.created_at < current_clock().now() - timedelta(days=1),
            )
        )


def test_the_demo_chinese_team_works_on_chinas_calendar(app: Flask) -> None:
    loaded = run(app, "demo", "load", "--history-days", "0")
    assert loaded.exit_code == 0, loaded.output
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == demo_china.TEAM))
        staff = [db.session.get(User, m.user_id) for m in team.memberships]
        assert {u.language for u in staff} == {"zh_Hans"}
        assert {u.time_zone for u in staff} == {"Asia/Shanghai"}
        assert any(m.is_supervisor for m in team.memberships)
        calendar = db.session.scalar(select(Calendar).where(Calendar.name == demo_china.CALENDAR))
        year = current_clock().now().year
        # China's public holidays and adjusted working weekends of this year and next.
        assert {h.day.year for h in calendar.holidays} == {year, year + 1}
        worked = [w.day for w in calendar.working_days]
        assert worked and all(d.weekday() >= 5 for d in worked)
        assert {d.year for d in worked} <= {year, year + 1}
        wang = db.session.scalar(select(Customer).where(Customer.name == "王芳"))
        assert (wang.country, wang.region, wang.district, wang.language) == (
            "CN",
            "上海市",
            "浦东新区",
            "zh-Hans",
        )
        assert [p.e164 for p in wang.phones] == ["+8613912345678"]
        # The Chinese team's requirements count under its own policy on its own calendar.
        clocks = db.session.scalars(
            select(SlaClock).join(Requirement).where(Requirement.team_id == team.id)
        ).all()
        versions = {db.session.get(SlaPolicyVersion, c.policy_version_id) for c in clocks}
        assert clocks and {v.calendar_id for v in versions} == {calendar.id}
