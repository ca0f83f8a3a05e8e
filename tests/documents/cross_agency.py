"""Cross-agency targets of the document routes (tests/test_cross_agency_404.py): a photo on
Police A's case, and the referral Police A sent."""

from __future__ import annotations

from typing import Any

from tests.documents import samples


def _photo(w: dict[str, Any], r: dict[str, Any]) -> Any:
    if "document" not in r:
        from tests.documents.helpers import attach

        [r["document"]] = attach(w["officer"], r["case"].id, [("p.jpg", samples.jpeg())],
                                 category="injury_photo")
    return r["document"]


def _by_document(w: dict[str, Any], r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import Target

    return Target({"doc_id": _photo(w, r).id})


def _by_case(w: dict[str, Any], r: dict[str, Any]) -> Any:
    from tests.test_cross_agency_404 import Target

    return Target({"case_id": r["case"].id})


def _by_referral(w: dict[str, Any], r: dict[str, Any]) -> Any:
    """Police A sent the referral; only its own staff choose what it sends."""
    from tests.test_cross_agency_404 import Target

    return Target({"referral_id": r["referral"].id})


TARGETS = {
    "documents.case_documents": _by_case,
    "documents.upload": _by_case,
    "documents.download": _by_document,
    "documents.thumbnail": _by_document,
    "documents.new_version": _by_document,
    "documents.withdraw": _by_document,
    "documents.referral_documents": _by_referral,
}
