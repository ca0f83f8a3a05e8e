from tests.fixtures import login


def test_officer_logs_in_and_sees_home(client, world):
    response = login(client, world["officer"])
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert world["officer"].full_name.encode() in page.data
