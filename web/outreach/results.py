"""The effect panel's JSON on the strategy page: the same figures as
`/api/v1/strategies/{id}/results`, for the signed-in browser."""

from typing import Any

from flask import abort
from flask_babel import get_locale
from flask_login import login_required

from models import Strategy
from web.clocks import current_clock
from web.extensions import db
from web.outreach import bp
from workflows.analytics import strategy_results


@bp.get("/<int:strategy_id>/results")
@login_required
def results(strategy_id: int) -> dict[str, Any]:
    strategy = db.session.get(Strategy, strategy_id)
    if strategy is None:
        abort(404)
    # The panel's sentences in the viewer's language; the API's stay English.
    return strategy_results.strategy_results(
        db.session, strategy, clock=current_clock(), locale=str(get_locale())
    )
