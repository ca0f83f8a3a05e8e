"""The document pages through HTTP: attaching several files at once, a refused file keeping what
was typed, downloads served by the app with safe headers, another agency's ids answering 404,
the case page's one statement for its panel, the sender's choice and the receiver's view on the
referral page, withdrawing, and concurrent uploads (SQLite's one writer)."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import select

from referral.access.scope import acting_as, system_actor
from referral.documents.models import Document
from referral.extensions import db
from referral.referrals import service as referrals
from tests.documents import samples
from tests.documents.helpers import attach
from tests.fixtures import actor, fresh, login, recorded_statements, run_in_threads
from tests.referrals.factories import consent, make_case, send


@pytest.fixture
def case(world):
    case = make_case(world["police"], world["officer"])
    db.session.commit()
    return case


def _upload(client, case_id: int, files: list[tuple[str, bytes]], **fields: str):
    data = {"category": "injury_photo", "title": "", "note": "", "attach": "", **fields,
            "files": [(BytesIO(content), name) for name, content in files]}
    return client.post(f"/cases/{case_id}/documents/new", data=data,
                       content_type="multipart/form-data")


def _docs(case_id: int) -> list[Document]:
    fresh()
    with acting_as(system_actor("test")):
        return list(db.session.execute(select(Document).where(Document.case_id == case_id)
                                       .order_by(Document.id)).scalars())


def test_several_files_attach_at_once_and_download_safely(client, world, case):
    login(client, world["officer"])
    answer = _upload(client, case.id, [("a.jpg", samples.jpeg()), ("b.pdf", samples.pdf())])
    assert answer.status_code == 302, answer.get_data(True)
    docs = _docs(case.id)
    assert [d.kind for d in docs] == ["jpeg", "pdf"] and [d.title for d in docs] == ["a.jpg",
                                                                                    "b.pdf"]
    page = client.get(f"/cases/{case.id}/documents").get_data(True)
    assert "location (GPS position)" in page and f"/documents/{docs[0].id}/thumbnail" in page
    got = client.get(f"/documents/{docs[1].id}")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["Cache-Control"] == "no-store"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.mimetype == "application/pdf" and b"Serikbayev" not in got.data
    thumb = client.get(f"/documents/{docs[0].id}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_a_renamed_executable_is_refused_and_the_form_keeps_what_was_typed(client, world, case):
    login(client, world["officer"])
    answer = _upload(client, case.id, [("photo.jpg", samples.EXECUTABLE)],
                     title="Bruises on the arm", note="Taken on Monday")
    html = answer.get_data(True)
    assert answer.status_code == 200 and "photo.jpg" in html and 'class="error"' in html
    assert 'value="Bruises on the arm"' in html and "Taken on Monday" in html
    assert _docs(case.id) == []


def test_another_agencys_document_ids_answer_404(client, world, case):
    [doc] = attach(world["officer"], case.id, [("a.jpg", samples.jpeg())])
    login(client, world["other"])
    for path in (f"/documents/{doc.id}", f"/documents/{doc.id}/thumbnail",
                 f"/documents/{doc.id}/version", f"/documents/{doc.id}/withdraw",
                 f"/cases/{case.id}/documents", f"/cases/{case.id}/documents/new"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/documents/{doc.id}/withdraw", data={"reason": "x"}).status_code == 404


def test_the_case_page_reads_its_documents_in_one_statement(client, world, app, case):
    attach(world["officer"], case.id, [(f"{n}.pdf", samples.pdf()) for n in range(3)])
    login(client, world["officer"])
    client.get("/")
    with app.app_context(), recorded_statements() as seen:
        page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200 and page.get_data(True).count("0.pdf") == 1
    assert len([s for s in seen if "FROM documents" in s]) == 1


def test_the_sender_chooses_and_the_receiver_opens_exactly_those(app, client, world, case):
    police, crisis = world["officer"], world["crisis"]
    [report] = attach(police, case.id, [("r.pdf", samples.pdf())], title="Forensic")
    [intake] = attach(police, case.id, [("i.odt", samples.odt())], category="intake",
                      title="Intake")
    [_photo] = attach(police, case.id, [("p.png", samples.png())], title="Photo")
    referral = send(police, case, world["crisis_agency"],
                    consent_input=consent("incident_details"))
    referrals.accept_referral(actor(crisis), referral_id=referral.id)
    db.session.commit()
    login(client, police)
    choose = client.get(f"/referrals/{referral.id}/documents").get_data(True)
    assert "outside the consent" in choose
    answer = client.post(f"/referrals/{referral.id}/documents",
                         data={"documents": [str(report.id), str(intake.id)]})
    assert answer.status_code == 302
    client = app.test_client()
    login(client, crisis)
    html = client.get(f"/referrals/{referral.id}").get_data(True)
    assert "Forensic" in html and "Intake" not in html and "Photo" not in html
    assert client.get(f"/documents/{report.id}").status_code == 200
    assert client.get(f"/documents/{intake.id}").status_code == 404


def test_withdrawing_from_the_page_hides_the_document(client, world, case):
    [doc] = attach(world["officer"], case.id, [("r.pdf", samples.pdf())], title="Wrong one")
    login(client, world["officer"])
    answer = client.post(f"/documents/{doc.id}/withdraw", data={"reason": "Wrong family"})
    assert answer.status_code == 302
    assert "Wrong one" not in client.get(f"/cases/{case.id}/documents").get_data(True)
    assert client.get(f"/documents/{doc.id}").status_code == 404


def test_a_new_version_from_the_page(client, world, case):
    [doc] = attach(world["officer"], case.id, [("r.pdf", samples.pdf())], title="Report")
    login(client, world["officer"])
    answer = client.post(f"/documents/{doc.id}/version", content_type="multipart/form-data",
                         data={"title": "", "note": "",
                               "files": [(BytesIO(samples.docx()), "r2.docx")]})
    assert answer.status_code == 302, answer.get_data(True)
    html = client.get(f"/cases/{case.id}/documents").get_data(True)
    assert "1 earlier version" in html


def test_concurrent_uploads_all_land(app, world, case):
    """Several users' uploads at once: the slow part runs with no transaction open, and the
    rows queue for SQLite's one writer."""
    users = [world["officer"].email, world["manager"].email] * 2
    case_id = case.id

    def upload(n: int) -> None:
        client = app.test_client()
        login(client, users[n])
        answer = _upload(client, case_id, [(f"{n}.jpg", samples.jpeg((n * 40, 10, 10)))])
        assert answer.status_code == 302, answer.get_data(True)

    assert run_in_threads(upload, len(users)) == []
    assert sorted(d.original_name for d in _docs(case.id)) == [f"{n}.jpg" for n in range(4)]
