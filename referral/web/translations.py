"""The request's message catalogue, found once per request and language.

Flask-Babel finds the catalogue again for every message: the request's locale, its name as a
string, then a cache lookup (a list page calls it a few hundred times). Here the catalogue is
kept on the request with the locale object it was found for; a ``force_locale`` (e-mails in the
recipient's language) or a ``refresh`` puts another locale object there, so the catalogue is
found again for it.
"""

from __future__ import annotations

from babel import support
from flask import Flask
from flask_babel import Domain, _get_current_context

_HELD = "referral_translations"  # on Flask-Babel's request namespace: (locale, catalogue)


class RequestDomain(Domain):
    """Flask-Babel's domain, looking up the catalogue once per request and locale."""

    def get_translations(self) -> support.NullTranslations:
        ctx = _get_current_context()
        if ctx is None:
            return support.NullTranslations()
        held = getattr(ctx, _HELD, None)
        if held is not None and held[0] is getattr(ctx, "babel_locale", None):
            return held[1]
        translations = super().get_translations()  # sets ctx.babel_locale
        setattr(ctx, _HELD, (ctx.babel_locale, translations))
        return translations


def install(app: Flask) -> None:
    """Make every gettext of the app (Python and templates) use ``RequestDomain``."""
    config = app.extensions["babel"]
    babel = config.instance
    if not isinstance(babel.__dict__.get("domain_instance"), RequestDomain):
        # Flask-Babel's ``domain_instance`` is a cached property: this fills it first.
        babel.__dict__["domain_instance"] = RequestDomain(domain=config.default_domain)
