"""The requirement categories list over the API: anyone reads it, admins add and remove."""

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from models import RequirementCategory, Role
from web.access import acting_user
from web.api.conditional import require_role
from web.clocks import current_clock
from web.extensions import db
from workflows.tracking import categories

blp = Blueprint(
    "api_categories",
    __name__,
    url_prefix="/api/v1",
    description="The categories a requirement may have (admin-managed)",
)


class CategorySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    created_at = ma.fields.AwareDateTime(dump_only=True)


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, CategorySchema(many=True))
    def get(self) -> Any:
        """Every category, by name."""
        return categories.all_categories(db.session)

    @blp.arguments(CategorySchema)
    @blp.response(201, CategorySchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a category (admins)."""
        require_role(Role.ADMIN)
        category = categories.create_category(
            db.session, data["name"], actor_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
        return category


@blp.route("/categories/<int:category_id>")
class CategoryById(MethodView):
    @blp.response(204)
    def delete(self, category_id: int) -> None:
        """Take a category off the list (admins); requirements that have it keep it."""
        require_role(Role.ADMIN)
        category = db.get_or_404(RequirementCategory, category_id)
        categories.delete_category(
            db.session, category, actor_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
