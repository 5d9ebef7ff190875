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


def test_reads_one_state_with_its_names_in_every_language(client):
    assert ok(client.get("/api/v1/states/BIH")) == {
        "code": "BIH",
        "name": "Bosnia and Herzegovina",
        # the OSCE's own French name, CLDR's Russian one
        "names": {"fr": "Bosnie-Herzégovine", "ru": "Босния и Герцеговина"},
        "name_fr": "Bosnie-Herzégovine",  # deprecated: names["fr"], as before names
        "kind": "participating",
        "group": None,
    }
    assert ok(client.get("/api/v1/states/kor"))["group"] == "asian"


def test_every_state_is_named_in_every_language_and_name_fr_is_the_french_one(client):
    states = ok(client.get("/api/v1/states"))
    assert all(set(s["names"]) == {"fr", "ru"} and all(s["names"].values()) for s in states)
    assert all(s["name_fr"] == s["names"]["fr"] for s in states)
    by_code = {s["code"]: s for s in states}
    assert by_code["USA"]["names"]["fr"] == "États-Unis d'Amérique"  # the OSCE's, not CLDR's "États-Unis"
    assert by_code["MDA"]["names"]["ru"] == "Молдова"


def test_the_api_marks_the_old_name_fields_deprecated(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["StateRead"]["properties"]["name_fr"]["deprecated"] is True
    assert "names" in schemas["StateRead"]["properties"]


def test_unknown_state_is_a_404_problem(client):
    assert_problem(client.get("/api/v1/states/XYZ"), 404)


def test_unknown_kind_is_a_422_naming_the_parameter(client):
    assert_problem(client.get("/api/v1/states", params={"kind": "observer"}), 422, ["query", "kind"])
