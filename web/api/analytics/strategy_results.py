"""`/api/v1/strategies/{id}/results`: a strategy's measured effect, the same JSON the effect
panel on the strategy page draws (whoever may read the strategy may read its results)."""

from typing import Any

from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Strategy
from web.clocks import current_clock
from web.extensions import db
from workflows.analytics import strategy_results

blp = Blueprint(
    "api_strategy_results",
    __name__,
    url_prefix="/api/v1",
    description="A strategy's measured effect: per arm (holdout, contacted, each variant of "
    "each step) reach, reply and goal rates with 95 % Wilson intervals; B against A and each "
    "arm against the holdout with Newcombe intervals, p-values and a verdict in words. Every "
    "figure is a table: `columns` and `rows`.",
)


@blp.route("/strategies/<int:strategy_id>/results")
class StrategyResults(MethodView):
    @blp.response(200)
    @blp.doc(
        description="`arms`: enrolled, reached (sent), replied, goal reached, delivered, bounced, "
        "unsubscribed and stopped per arm with rates and 95 % Wilson intervals (delivered and "
        "bounced over those reached, the others over the enrolled); `comparisons`: per "
        "metric (goal, reply) the difference arm minus baseline, "
        "its interval, p-value, whether the data can tell them apart, how many more enrolments "
        "would be needed, and a sentence; `verdicts`: the goal-rate sentences; `revenue`: per "
        "currency, revenue per enrolled customer (completed orders, payments and invoices since "
        "enrolment; zero for who bought nothing), contacted and holdout, the difference and its "
        "95 % interval (`method`: BCa bootstrap, or normal above 1,000 customers); "
        "`before_after`, only for a strategy without a holdout (weaker evidence): per currency, "
        "revenue per customer and how many bought in the goal's window (days) before enrolment "
        "and after it, for enrolments whose window has closed, and the paired difference; "
        "`split`: the variant split (`mode`: fixed|adaptive, `floor` in %), for an adaptive "
        "strategy `current` (per step and variant the share of the steps planned from now on, "
        "successes: enrolments sent it that reached the goal, trials: enrolments sent it, "
        "goal_rate, computed_at) and `history` (one row per computation, `computed_at` then one "
        "column `step_<n>_<variant>` per step and variant with its share)."
    )
    def get(self, strategy_id: int) -> Any:
        strategy = db.session.get(Strategy, strategy_id)
        if strategy is None:
            abort(404, "No such strategy.")
        return strategy_results.strategy_results(db.session, strategy, clock=current_clock())
