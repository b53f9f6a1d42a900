"""`flask users …`, `flask tokens …`, `flask demo load`: administration from the shell."""

from typing import NoReturn

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from models import ApiToken, Role, User
from web import demo, demo_history
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.errors import ValidationFailed
from workflows.platform.passwords import generate_password

users_cli = AppGroup("users", help="Create users and set their passwords.")
tokens_cli = AppGroup("tokens", help="Issue and revoke API tokens.")
demo_cli = AppGroup("demo", help="Demo data.")

ROLES = click.Choice([r.value for r in Role], case_sensitive=False)


def _fail(exc: ValidationFailed) -> NoReturn:
    db.session.rollback()
    raise click.ClickException(str(exc))


def _user(email: str) -> User:
    user = accounts.find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    return user


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", type=ROLES, default=Role.AGENT.value, show_default=True)
@click.option("--name", default="", help="Display name (default: from the email).")
@click.option("--time-zone", default=None, help="IANA zone (default: DEFAULT_TIMEZONE).")
@click.option(
    "--password",
    default=None,
    help="Read from the prompt or stdin when omitted; generated with --generate-password.",
)
@click.option("--generate-password", is_flag=True, help="Generate one and print it once.")
def create_user(
    email: str,
    role: str,
    name: str,
    time_zone: str | None,
    password: str | None,
    generate_password: bool,
) -> None:
    """Create a user."""
    if generate_password:
        password = _generated()
    elif password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(
            db.session,
            email=email,
            name=name,
            password=password or "",
            role=role,
            time_zone=time_zone or current_app.config["DEFAULT_TIMEZONE"],
            clock=current_clock(),
        )
    except ValidationFailed as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")
    if generate_password:
        click.echo(f"Password (shown once): {password}")


def _generated() -> str:
    return generate_password()


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.option("--password", default=None, help="Read from the prompt when omitted.")
@click.option("--generate-password", is_flag=True, help="Generate one and print it once.")
def set_password(email: str, password: str | None, generate_password: bool) -> None:
    """Set a user's password (ends their other sessions)."""
    user = _user(email)
    if generate_password:
        password = _generated()
    elif password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.set_password(db.session, user, password or "")
    except ValidationFailed as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Password of {user.email} changed.")
    if generate_password:
        click.echo(f"Password (shown once): {password}")


@users_cli.command("list")
def list_users() -> None:
    """List users."""
    for user in db.session.scalars(select(User).order_by(User.id)):
        state = "" if user.is_active else " (inactive)"
        click.echo(f"{user.id:>5}  {user.role.value:<10} {user.email}  {user.name}{state}")


@users_cli.command("ensure-admin")
@click.option("--email", default="admin@example.com", show_default=True)
def ensure_admin(email: str) -> None:
    """Create the first admin with a generated password, unless an admin exists."""
    if db.session.scalar(select(User.id).where(User.role == Role.ADMIN).limit(1)) is not None:
        click.echo(
            "An admin user exists already; reset a password with `flask users set-password`."
        )
        return
    password = _generated()
    try:
        accounts.create_user(
            db.session,
            email=email,
            name="Administrator",
            password=password,
            role=Role.ADMIN,
            time_zone=current_app.config["DEFAULT_TIMEZONE"],
            clock=current_clock(),
        )
    except ValidationFailed as exc:
        _fail(exc)
    db.session.commit()
    click.secho(f"Admin user: {email}", bold=True)
    click.secho(f"Password (shown once, write it down): {password}", bold=True)


@tokens_cli.command("create")
@click.option("--email", required=True, help="Whose token.")
@click.option("--name", required=True, help="What will use it.")
def create_token(email: str, name: str) -> None:
    """Issue an API token and print it once."""
    try:
        issued = accounts.issue_token(db.session, _user(email), name, clock=current_clock())
    except ValidationFailed as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Token {issued.token.id} for {email} (shown once):")
    click.echo(issued.secret)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke a token by its id."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No token {token_id}.")
    accounts.revoke_token(db.session, token, clock=current_clock())
    db.session.commit()
    click.echo(f"Token {token_id} revoked.")


@demo_cli.command("load")
@click.option(
    "--history-days",
    type=click.IntRange(0, 365),
    default=demo_history.DAYS,
    show_default=True,
    help="Days of back-dated requirements for the reports (0: none).",
)
def load_demo(history_days: int) -> None:
    """Load a small demo data set (safe to run again)."""
    created = demo.load(db.session, clock=current_clock(), history_days=history_days)
    db.session.commit()
    click.echo(f"Demo data ready ({created} new records).")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(demo_cli)
