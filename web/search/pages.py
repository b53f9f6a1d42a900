"""`/search`: every kind's matches on one page; `/search/suggest`: the first few of each for the
header's dropdown, as JSON with the links already made."""

from typing import Any

from flask import Response, jsonify, render_template, request, url_for

from models import Role
from web.access import role_required
from web.extensions import db
from web.requirements.access import readable
from web.search import bp
from workflows.tracking import global_search
from workflows.tracking.global_search import Hit, Results

PAGE_LIMIT = 25
SUGGEST_LIMIT = 5
MAX_QUERY = 200  # longer input is cut: nobody types more into a search box

ENDPOINTS = {
    "customers": ("customers.show", "customer_id"),
    "organisations": ("organisations.show", "organisation_id"),
    "requirements": ("requirements.show", "requirement_id"),
}


def _search(limit: int) -> Results:
    q = request.args.get("q", "")[:MAX_QUERY]
    return global_search.search(db.session, q, readable=readable(), limit=limit)


def _url(kind: str, hit: Hit) -> str:
    endpoint, arg = ENDPOINTS[kind]
    return url_for(endpoint, **{arg: hit.id})


@bp.get("")
@role_required(Role.AGENT)
def index() -> str:
    results = _search(PAGE_LIMIT)
    groups = [(kind, getattr(results, kind)) for kind in ENDPOINTS]
    return render_template("search/index.html", results=results, groups=groups, url=_url)


@bp.get("/suggest")
@role_required(Role.AGENT)
def suggest() -> Response:
    results = _search(SUGGEST_LIMIT)
    body: dict[str, Any] = {
        "q": results.q,
        "groups": [
            {
                "kind": kind,
                "hits": [
                    {
                        "id": hit.id,
                        "label": hit.label,
                        "detail": hit.detail,
                        "snippet": hit.snippet,
                        "url": _url(kind, hit),
                    }
                    for hit in getattr(results, kind)
                ],
            }
            for kind in ENDPOINTS
        ],
        "all_url": url_for("search.index", q=results.q),
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
