"""Language and time zone choice, and the language switch on every page."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from referral.audit import service as audit
from referral.extensions import db

bp = Blueprint("i18n", __name__)

LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
# Path prefix -> what picks the language there instead of the signed-in user (the JSON API: the
# caller's Accept-Language, else its token's user); None from it falls back to the pages' rule.
_CHOOSERS: dict[str, Callable[[list[str]], str | None]] = {}


def register_locale_chooser(prefix: str, chooser: Callable[[list[str]], str | None]) -> None:
    _CHOOSERS[prefix] = chooser


def select_locale() -> str | None:
    """The user's setting, else the browser's Accept-Language, else the deployment default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and tasks: the deployment's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    for prefix, chooser in _CHOOSERS.items():
        if request.path.startswith(prefix) and (chosen := chooser(languages)):
            return chosen
    user = current_user
    if user.is_authenticated and user.locale in languages:
        return user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def select_timezone() -> str:
    return current_app.config["DISPLAY_TIMEZONE"]


@bp.post("/language")
def set_language() -> Response:
    lang = request.form.get("language", "")
    if lang in current_app.config["LANGUAGES"]:
        session["locale"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            audit.record("user.language", object_type="user", object_id=current_user.id,
                         details={"language": lang})
            db.session.commit()
    target = request.form.get("next", "")
    from referral.web.redirects import safe_next

    return redirect(safe_next(target) or url_for("home.index"))


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _languages() -> dict[str, object]:
        from flask_babel import get_locale

        return {"language_names": LANGUAGE_NAMES, "current_language": str(get_locale())}
