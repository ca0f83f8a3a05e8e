"""Wiring: extensions, blueprints, request hooks, error pages and commands."""

from __future__ import annotations

from flask import Flask

from referral.extensions import babel, csrf, db, login_manager, migrate
from referral.paths import MIGRATIONS_DIR


def register(app: Flask) -> None:
    from referral.web import (
        database,
        errors,
        forms,
        hooks,
        i18n,
        input,
        nav,
        read_commit,
        security,
        templating,
        translations,
    )
    from referral.web.labels import register as register_labels
    from referral.web.logs import register as register_logs

    register_logs(app)  # first: whatever the rest logs goes through its handler and filters
    input.install_converters(app)  # before any rule is added
    forms.install_form_rules()
    database.init_engine_events()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True,
                     compare_type=True, include_object=database.include_object)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    translations.install(app)
    login_manager.init_app(app)
    hooks.register(app)
    read_commit.register(app)
    input.register(app)
    security.register(app)
    errors.register(app)
    i18n.register(app)
    nav.register(app)
    templating.register(app)
    register_labels(app)
    _register_blueprints(app)
    _register_commands(app)
    _check_scopes()


def _register_blueprints(app: Flask) -> None:
    from referral.domains import domain_modules

    domain_modules("panels")
    domain_modules("notify")  # kinds, subjects and reminder rules, for requests and the worker
    for module in domain_modules("views"):
        # A domain with pages and a JSON API beside them lists both in ``blueprints``.
        for blueprint in getattr(module, "blueprints", (module.bp,)):
            app.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from referral.cli import register_commands
    from referral.domains import domain_modules

    register_commands(app)
    for module in domain_modules("cli"):
        module.register(app)


def _check_scopes() -> None:
    from referral.access.scope import check_every_scoped_model_has_a_rule
    from referral.models import all_models

    check_every_scoped_model_has_a_rule(all_models())
