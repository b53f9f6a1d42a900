"""Report pages (support, sales, Pareto) for supervisors and admins. Each page draws its charts
in the browser from the JSON at `<page>/data` — the same figures the API returns — and offers
every chart as a table and as CSV."""

from flask import Blueprint, Flask

bp = Blueprint("reports", __name__, url_prefix="/reports")

from web.reports import pages  # noqa: E402, F401  (views register on the blueprint)
from web.reports.words import bar_label, code_words, column_words_json  # noqa: E402


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["report_column_words_json"] = column_words_json
    app.jinja_env.globals["report_code_words"] = code_words
    app.jinja_env.globals["bar_label"] = bar_label
