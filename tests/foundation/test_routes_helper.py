"""referral.web.routes.Routes: a route module's routes land on a blueprint made elsewhere with
the endpoints the blueprint's own decorators would give."""

from __future__ import annotations

from flask import Blueprint, Flask

from referral.web.routes import Routes


def test_routes_are_added_with_the_blueprints_endpoints() -> None:
    routes = Routes()

    @routes.route("/page", methods=["GET", "POST"])
    def page() -> str:
        return "page"

    @routes.get("/named", endpoint="other_name")
    def named() -> str:
        return "named"

    @routes.post("/act/<int:item_id>")
    def act(item_id: int) -> str:
        return f"act {item_id}"

    bp = Blueprint("things", __name__, url_prefix="/things")
    routes.add_to(bp)
    app = Flask(__name__)
    app.register_blueprint(bp)
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    assert rules["things.page"].methods >= {"GET", "POST"}
    assert "things.other_name" in rules and "things.named" not in rules
    assert rules["things.act"].methods >= {"POST"} and "GET" not in rules["things.act"].methods
    client = app.test_client()
    assert client.post("/things/act/7").get_data(as_text=True) == "act 7"
    assert client.get("/things/named").get_data(as_text=True) == "named"
    assert client.get("/things/act/7").status_code == 405


def test_the_accounts_views_keep_their_endpoints(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"accounts.login", "accounts.logout", "accounts.change_password",
            "accounts.accept_invitation", "accounts.forgot_password", "accounts.password_reset",
            "accounts.sessions", "accounts.factors.manage",
            "accounts.factors.second_step"} <= endpoints
