from tests.factories import assert_problem, ok


def test_lists_all_participating_states_and_partners(client):
    states = ok(client.get("/api/v1/states"))
    assert len(states) == 68
    assert sum(s["kind"] == "participating" for s in states) == 57
    assert sum(s["kind"] == "partner" for s in states) == 11


def test_filters_by_kind(client):
    partners = ok(client.get("/api/v1/states", params={"kind": "partner"}))
    assert {s["group"] for s in partners} == {"mediterranean", "asian"}
    assert "JPN" in {s["code"] for s in partners}
    participating = ok(client.get("/api/v1/states", params={"kind": "participating"}))
    assert all(s["group"] is None for s in participating)


def test_reads_one_state_with_its_french_name(client):
    assert ok(client.get("/api/v1/states/BIH")) == {
        "code": "BIH",
        "name": "Bosnia and Herzegovina",
        "name_fr": "Bosnie-Herzégovine",
        "kind": "participating",
        "group": None,
    }
    assert ok(client.get("/api/v1/states/kor"))["group"] == "asian"


def test_unknown_state_is_a_404_problem(client):
    assert_problem(client.get("/api/v1/states/XYZ"), 404)


def test_unknown_kind_is_a_422_naming_the_parameter(client):
    assert_problem(client.get("/api/v1/states", params={"kind": "observer"}), 422, ["query", "kind"])
