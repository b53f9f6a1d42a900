"""The OpenAPI document is generated from the code and served with an offline docs page."""

from flask.testing import FlaskClient


def test_openapi_document_covers_auth_tokens_and_health(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/me", "/api/v1/tokens", "/api/v1/tokens/{token_id}", "/healthz"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert "503" in spec["paths"]["/healthz"]["get"]["responses"]


def test_docs_page_loads_its_assets_from_our_static_files(client: FlaskClient) -> None:
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "//cdn" not in html
    asset = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()  # static files are streamed from an open file


def test_unknown_api_path_is_404_problem_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code in (401, 404)  # unauthenticated callers learn nothing
    assert response.mimetype == "application/problem+json"


def test_unknown_page_is_404_html(client: FlaskClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)
