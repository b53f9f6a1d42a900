"""CSV import through the web pages and the real Celery worker: the dry run lists exactly the bad
rows and writes nothing; all-or-nothing writes nothing or everything; skip mode writes the good
rows and is safe to run again."""

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEntry, Customer, ImportJob, Organisation, Role
from tests.conftest import csrf_token, login
from tests.services import Process, wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles

HEADER = "Full name,E-mail,Phone,Company,Tags\n"
BAD_ROWS = {101: "emails", 502: "phones", 903: "emails"}  # row numbers count the header as 1
MAPPING = {
    "map-0": "name",
    "map-1": "emails",
    "map-2": "phones",
    "map-3": "organisation",
    "map-4": "tags",
}


def csv_file(rows: int = 1000, bad: bool = True) -> bytes:
    lines = [HEADER]
    for number in range(2, rows + 2):
        email, phone = f"person{number}@example.com", f"+49 151 {20000000 + number}"
        if bad and number == 101:
            email = "not-an-email"
        if bad and number == 502:
            phone = "12"
        if bad and number == 903:
            email = "person2@example.com"  # row 2 has it already
        company = f"Company {number % 7}" if number % 3 else ""
        lines.append(f'Person {number},{email},{phone},{company},"imported, batch-{number % 4}"\n')
    return "".join(lines).encode()


@pytest.fixture
def agent_client(client: FlaskClient, make_user: Any) -> FlaskClient:
    user = make_user(Role.AGENT)
    assert login(client, user.email).status_code == 302
    return client


def upload(client: FlaskClient, content: bytes, name: str = "people.csv") -> int:
    token = csrf_token(client, "/imports")
    response = client.post(
        "/imports",
        data={"file": (io.BytesIO(content), name), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/imports/(\d+)$", response.headers["Location"]).group(1))


def submit(client: FlaskClient, job_id: int, action: str, mode: str, **mapping: str) -> Any:
    token = csrf_token(client, f"/imports/{job_id}")
    data = {"csrf_token": token, "action": action, "mode": mode, **(mapping or MAPPING)}
    return client.post(f"/imports/{job_id}", data=data)


def customer_count(app: Flask) -> int:
    with app.app_context():
        n = db.session.scalar(
            select(func.count()).select_from(Customer).where(Customer.deleted_at.is_(None))
        )
        db.session.remove()
        return n


def finished(client: FlaskClient, job_id: int) -> dict[str, Any]:
    def poll() -> dict[str, Any] | None:
        data = client.get(f"/imports/{job_id}/status.json").get_json()
        return data if data["status"] in ("done", "failed") else None

    return wait_until(poll, timeout=120, interval=0.2)  # type: ignore[return-value]


def error_rows(errors: list[dict[str, Any]]) -> dict[int, str]:
    return {e["row"]: e["field"] for e in errors}


def dry_run(client: FlaskClient, job_id: int, mode: str = "all_or_nothing", **mapping: str) -> str:
    """Ask for a dry run (the request only queues it), wait for the worker, return the page."""
    response = submit(client, job_id, "dry_run", mode, **mapping)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/imports/{job_id}#dry-run")

    def poll() -> bool:
        run = client.get(f"/imports/{job_id}/status.json").get_json()["dry_run"]
        return run["status"] in ("done", "failed")

    wait_until(poll, timeout=60, interval=0.2)
    return client.get(f"/imports/{job_id}").get_data(as_text=True)


def test_the_dry_run_lists_exactly_the_bad_rows_and_writes_nothing(
    app: Flask, agent_client: FlaskClient, worker: Process, make_user: Any
) -> None:
    with app.app_context():  # one row updates an existing customer, the rest create
        profiles.create_customer(
            db.session,
            {"name": "Already Here", "emails": "person7@example.com"},
            actor_id=None,
            clock=current_clock(),
        )
        db.session.commit()
    job_id = upload(agent_client, csv_file())
    page = agent_client.get(f"/imports/{job_id}").get_data(as_text=True)
    assert "1000 data rows" in page
    assert 'value="emails" selected' in page  # "E-mail" guessed as the emails column
    with app.app_context():
        audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))

    html = dry_run(agent_client, job_id)

    assert "Dry run: 1000 rows checked, nothing written" in html
    assert "996 rows would create a customer, 1 would update one, 3 are bad." in html
    assert "3 bad rows" in html and "rows 101, 502, 903." in html
    listed = re.findall(r"<tr><td>(\d+)</td><td><code>(\w+)</code></td><td>([^<]+)</td>", html)
    assert {int(row): field for row, field, _ in listed} == BAD_ROWS
    assert any("also in row 2" in message for *_, message in listed)
    assert customer_count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
        job = db.session.get(ImportJob, job_id)
        assert job.status == "draft" and job.dry_run["processed"] == 1000


def test_the_bad_rows_download_has_the_original_columns_and_an_error_column(
    app: Flask, agent_client: FlaskClient, worker: Process
) -> None:
    job_id = upload(agent_client, csv_file())
    assert agent_client.get(f"/imports/{job_id}/bad_rows.csv").status_code == 404  # no dry run yet
    html = dry_run(agent_client, job_id)
    assert f"/imports/{job_id}/bad_rows.csv" in html

    response = agent_client.get(f"/imports/{job_id}/bad_rows.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="people-bad-rows.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["Full name", "E-mail", "Phone", "Company", "Tags", "error"]
    assert [r[0] for r in rows[1:]] == ["Person 101", "Person 502", "Person 903"]
    assert rows[1][1] == "not-an-email" and rows[1][5].startswith("emails: ")
    assert rows[2][2] == "12" and rows[2][5].startswith("phones: ")
    assert "also in row 2" in rows[3][5]

    # Fixed and uploaded again, the file checks clean.
    fixed = io.StringIO()
    writer = csv.writer(fixed)
    writer.writerow(rows[0][:5])
    for i, row in enumerate(rows[1:]):
        writer.writerow([row[0], f"fixed{i}@example.com", f"+49 151 2000099{i}", *row[3:5]])
    again = upload(agent_client, fixed.getvalue().encode(), name="people-bad-rows.csv")
    page = dry_run(agent_client, again)
    assert "3 rows would create a customer, 0 would update one, 0 are bad." in page


def test_all_or_nothing_with_bad_rows_writes_nothing(
    app: Flask, agent_client: FlaskClient, worker: Process
) -> None:
    job_id = upload(agent_client, csv_file())
    response = submit(agent_client, job_id, "start", "all_or_nothing")
    assert response.status_code == 302
    assert agent_client.get(response.headers["Location"]).status_code == 200

    result = finished(agent_client, job_id)

    assert result["status"] == "failed"
    assert result["imported_rows"] == 0 and result["processed_rows"] == 1000
    assert error_rows(result["errors"]) == BAD_ROWS
    assert customer_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_all_or_nothing_writes_every_row_of_a_clean_file(
    app: Flask, agent_client: FlaskClient, worker: Process
) -> None:
    job_id = upload(agent_client, csv_file(rows=300, bad=False))
    submit(agent_client, job_id, "start", "all_or_nothing")

    result = finished(agent_client, job_id)

    assert (result["status"], result["imported_rows"], result["errors"]) == ("done", 300, [])
    assert customer_count(app) == 300
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.name == "Person 5"))
        assert customer.primary_email == "person5@example.com"
        assert [p.e164 for p in customer.phones] == ["+4915120000005"]
        assert customer.organisation.name == "Company 5"
        assert sorted(t.name for t in customer.tags) == ["batch-1", "imported"]
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 7


def test_skip_bad_rows_writes_the_997_good_rows_and_a_rerun_adds_none(
    app: Flask, agent_client: FlaskClient, worker: Process
) -> None:
    job_id = upload(agent_client, csv_file())
    submit(agent_client, job_id, "start", "skip_bad_rows")

    result = finished(agent_client, job_id)

    assert result["status"] == "done"
    assert (result["processed_rows"], result["imported_rows"]) == (1000, 997)
    assert error_rows(result["errors"]) == BAD_ROWS
    assert customer_count(app) == 997
    with app.app_context():
        names = set(db.session.scalars(select(Customer.name)))
        assert not {f"Person {n}" for n in BAD_ROWS} & names

    again = upload(agent_client, csv_file())
    submit(agent_client, again, "start", "skip_bad_rows")
    rerun = finished(agent_client, again)
    assert (rerun["status"], rerun["imported_rows"]) == ("done", 997)  # matched, not duplicated
    assert customer_count(app) == 997


def test_a_mapping_without_a_name_column_is_refused(agent_client: FlaskClient) -> None:
    job_id = upload(agent_client, csv_file(rows=3, bad=False))
    response = submit(
        agent_client, job_id, "start", "all_or_nothing", **{"map-0": "", "map-1": "emails"}
    )
    assert response.status_code == 422
    assert "Map a column to Name." in response.get_data(as_text=True)


def test_another_agent_cannot_see_my_import(
    app: Flask, agent_client: FlaskClient, make_user: Any
) -> None:
    job_id = upload(agent_client, csv_file(rows=3, bad=False))
    other = app.test_client()
    login(other, make_user(Role.AGENT).email)
    assert other.get(f"/imports/{job_id}/status.json").status_code == 403


def test_too_many_columns_or_rows_are_refused_with_the_limit(
    agent_client: FlaskClient, app: Flask
) -> None:
    from workflows.customers.imports import MAX_COLUMNS, MAX_ROWS

    for content, words in (
        (("name," + ",".join(f"c{i}" for i in range(MAX_COLUMNS)) + "\nAna\n").encode(), "columns"),
        (b"name\n" + b"x\n" * (MAX_ROWS + 1), "rows"),
    ):
        token = csrf_token(agent_client, "/imports")
        response = agent_client.post(
            "/imports",
            data={"file": (io.BytesIO(content), "wide.csv"), "csrf_token": token},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        assert f"at most {MAX_COLUMNS}" in response.get_data(as_text=True) or words == "rows"
        assert words in response.get_data(as_text=True)
    assert customer_count(app) == 0
