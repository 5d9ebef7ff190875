"""Edits never overwrite each other: If-Match against the version, and receipts that never add up
past their pledge — checked with real concurrent requests against a live server, on both databases."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.factories import assert_problem, live_server, make_pledge, make_project, ok, receive


@pytest.fixture
def server(app) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def in_parallel(n: int, work) -> list[httpx.Response]:
    """Run ``work(i)`` in n threads released at the same instant."""
    barrier = threading.Barrier(n)

    def run(i: int) -> httpx.Response:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


# -- If-Match ------------------------------------------------------------------------------------


def test_get_sends_the_version_as_etag(client):
    project = make_project(client)
    response = client.get(f"/api/v1/projects/{project['id']}")
    assert response.headers["etag"] == '"1"'
    changed = client.patch(f"/api/v1/projects/{project['id']}", json={"title": "New"})
    assert changed.headers["etag"] == '"2"'


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', '"7", "1"', "*"])
def test_a_current_if_match_lets_the_change_through(client, header):
    project = make_project(client)
    changed = client.patch(
        f"/api/v1/projects/{project['id']}", json={"title": "New"}, headers={"If-Match": header}
    )
    assert ok(changed)["title"] == "New"


def test_a_stale_if_match_is_412_and_changes_nothing(client):
    project = make_project(client)
    ok(client.patch(f"/api/v1/projects/{project['id']}", json={"title": "Second"}))
    body = assert_problem(
        client.patch(
            f"/api/v1/projects/{project['id']}", json={"title": "Third"}, headers={"If-Match": '"1"'}
        ),
        412,
    )
    assert "version 2" in body["detail"]
    assert_problem(client.delete(f"/api/v1/projects/{project['id']}", headers={"If-Match": '"1"'}), 412)
    after = ok(client.get(f"/api/v1/projects/{project['id']}"))
    assert (after["title"], after["version"]) == ("Second", 2)


@pytest.mark.parametrize(
    ("kind", "create", "patch"),
    [
        ("pledges", lambda c: make_pledge(c, make_project(c)["id"]), {"note": "n"}),
        (
            "national-processes",
            lambda c: ok(
                c.post(
                    "/api/v1/national-processes",
                    json={"state": "SRB", "name": "Registry", "kind": "structure"},
                ),
                201,
            ),
            {"description": "d"},
        ),
    ],
)
def test_every_mutable_record_honours_if_match(client, kind, create, patch):
    record = create(client)
    url = f"/api/v1/{kind}/{record['id']}"
    assert client.get(url).headers["etag"] == f'"{record["version"]}"'
    assert_problem(client.patch(url, json=patch, headers={"If-Match": '"99"'}), 412)
    assert_problem(client.delete(url, headers={"If-Match": '"99"'}), 412)
    assert ok(client.patch(url, json=patch, headers={"If-Match": f'"{record["version"]}"'}))["version"] == (
        record["version"] + 1
    )


def test_milestones_and_indicators_honour_if_match(client):
    project = make_project(client)
    for kind, body in (
        ("milestones", {"title": "Survey"}),
        ("indicators", {"name": "Sites", "unit": "sites", "target": "3"}),
    ):
        item = ok(client.post(f"/api/v1/projects/{project['id']}/{kind}", json=body), 201)
        url = f"/api/v1/projects/{project['id']}/{kind}/{item['id']}"
        assert_problem(client.patch(url, json={}, headers={"If-Match": '"5"'}), 412)
        assert_problem(client.delete(url, headers={"If-Match": '"5"'}), 412)
        assert client.delete(url, headers={"If-Match": '"1"'}).status_code == 204


def test_two_concurrent_patches_with_the_same_if_match_one_wins(client, server, accounts):
    headers = accounts["staff"].headers
    for round_ in range(4):
        project = make_project(client)
        url = f"{server}/api/v1/projects/{project['id']}"

        def patch(i: int, url: str = url) -> httpx.Response:
            return httpx.patch(
                url, json={"title": f"Edit {i}"}, headers={**headers, "If-Match": '"1"'}, timeout=30
            )

        responses = in_parallel(2, patch)
        assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
        winner = next(r for r in responses if r.status_code == 200).json()
        stored = ok(client.get(f"/api/v1/projects/{project['id']}"))
        assert (stored["title"], stored["version"]) == (winner["title"], 2), f"round {round_}"


def test_concurrent_receipts_never_add_up_past_the_pledge(client, server, accounts):
    headers = accounts["staff"].headers
    pledge = make_pledge(client, make_project(client)["id"], amount="1000.00", status="committed")
    url = f"{server}/api/v1/pledges/{pledge['id']}/receipts"

    def pay(_i: int) -> httpx.Response:
        return httpx.post(
            url, json={"amount": "100.00", "received_on": "2024-05-02"}, headers=headers, timeout=60
        )

    responses = in_parallel(16, pay)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 10 + [409] * 6, [r.text for r in responses if r.status_code not in (201, 409)]
    stored = ok(client.get(f"/api/v1/pledges/{pledge['id']}"))
    assert (stored["received"], stored["outstanding"], stored["status"]) == ("1000.00", "0.00", "paid")
    assert len(ok(client.get(f"/api/v1/pledges/{pledge['id']}/receipts"))) == 10
    assert_problem(receive(client, pledge["id"], "0.01"), 409)
