"""A small, realistic demo data set; loading it twice changes nothing."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Role, Team
from workflows import accounts
from workflows.clock import Clock
from workflows.passwords import generate_password

TEAMS = {
    "Support — Europe": [
        ("amelie.laurent@example.com", "Amélie Laurent", Role.SUPERVISOR, "Europe/Paris"),
        ("jonas.becker@example.com", "Jonas Becker", Role.AGENT, "Europe/Berlin"),
        ("sofia.rossi@example.com", "Sofia Rossi", Role.AGENT, "Europe/Rome"),
    ],
    "Support — Americas": [
        ("maria.gonzalez@example.com", "María González", Role.SUPERVISOR, "America/Mexico_City"),
        ("david.kim@example.com", "David Kim", Role.AGENT, "America/New_York"),
    ],
    "Sales": [
        ("li.wei@example.com", "Li Wei", Role.SUPERVISOR, "Asia/Shanghai"),
        ("omar.haddad@example.com", "Omar Haddad", Role.AGENT, "Asia/Dubai"),
    ],
}


def load(session: Session, *, clock: Clock) -> int:
    """Create what is missing of the demo teams and their people; returns how many rows."""
    created = 0
    for team_name, people in TEAMS.items():
        team = session.scalar(select(Team).where(Team.name == team_name))
        if team is None:
            team = accounts.create_team(session, team_name, clock=clock)
            created += 1
        for email, name, role, zone in people:
            user = accounts.find_user_by_email(session, email)
            if user is None:
                # Demo people get unusable random passwords; an admin can reset one to try it.
                user = accounts.create_user(
                    session,
                    email=email,
                    name=name,
                    password=generate_password(),
                    role=role,
                    time_zone=zone,
                    clock=clock,
                )
                created += 1
            member_ids = {m.user_id for m in team.memberships}
            supervisor_ids = {m.user_id for m in team.memberships if m.is_supervisor}
            if user.id not in member_ids:
                if role is Role.SUPERVISOR:
                    supervisor_ids.add(user.id)
                accounts.set_team_members(session, team, member_ids | {user.id}, supervisor_ids)
    return created
