"""API tokens of the calling user, and who the caller is."""

from typing import Any

import marshmallow as ma
from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint

from models import ApiToken
from web.access import acting_user
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts

blp = Blueprint("tokens", __name__, url_prefix="/api/v1", description="The caller and their tokens")


class UserSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.String(dump_only=True)
    name = ma.fields.String(dump_only=True)
    role = ma.fields.Function(lambda u: u.role.value, dump_only=True)
    time_zone = ma.fields.String(dump_only=True)
    teams = ma.fields.Function(lambda u: [t.name for t in u.teams], dump_only=True)


class TokenSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    prefix = ma.fields.String(
        dump_only=True, metadata={"description": "First characters, to tell tokens apart"}
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)
    last_used_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    revoked_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = ma.fields.String(dump_only=True, metadata={"description": "Shown once; store it now"})


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    def get(self) -> Any:
        """The user the token belongs to."""
        return acting_user()


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenSchema(many=True))
    def get(self) -> Any:
        """The caller's tokens (never the secrets)."""
        return sorted(acting_user().api_tokens, key=lambda t: t.id)

    @blp.arguments(TokenSchema)
    @blp.response(201, IssuedTokenSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Issue a new token for the caller. The secret is in this response only."""
        issued = accounts.issue_token(
            db.session, acting_user(), data["name"], clock=current_clock()
        )
        db.session.commit()
        fields = ("id", "name", "prefix", "created_at", "last_used_at", "revoked_at")
        return {**{f: getattr(issued.token, f) for f in fields}, "token": issued.secret}


@blp.route("/tokens/<int:token_id>")
class TokenById(MethodView):
    @blp.response(204)
    def delete(self, token_id: int) -> None:
        """Revoke one of the caller's tokens; requests with it then get 401."""
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != acting_user().id:
            abort(404, "No such token of yours.")
        accounts.revoke_token(db.session, token, clock=current_clock())
        db.session.commit()
