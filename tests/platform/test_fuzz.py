"""Fuzzing: every operation of the app's own OpenAPI document, as each role, with schemathesis.

Each generated case (valid and invalid input alike) is sent in-process through schemathesis' ASGI
transport, and its response must pass schemathesis' own checks: no 5xx, a status code the document
declares for the operation, the content type declared for that status (problem+json for every error)
and a body that matches the declared schema.

The run is bounded and reproducible: a fixed number of examples per operation and role, derandomized,
with no Hypothesis database. ``PORTFOLIO_FUZZ_EXAMPLES=N`` raises the count for longer runs.

Below the fuzzer, one plain regression test per failure it found, each with the concrete request.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from portfolio.main import create_app
from tests.factories import (
    PASSWORD,
    assert_problem,
    make_pledge,
    make_project,
    make_rate,
    make_settings,
    ok,
    receive,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("admin", "staff", "manager", "donor")
# Examples per operation and role: on SQLite the file then takes about 45 s once the app passes (each
# case costs about 10 ms, on either database). The PostgreSQL run repeats the same operations on the
# other database, so half as many suffice there.
DEFAULT_EXAMPLES = {"sqlite": 20, "postgresql": 10}
# Without a token nearly every operation stops at the 401, so a few examples each are enough.
ANONYMOUS_EXAMPLES = 4
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path
THROWAWAY_EMAIL = "throwaway@test.example.org"
DOCUMENTS_URL = "/api/v1/documents"
SAMPLE_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# The operations of contribution agreements, reporting obligations, documents and calendar feeds: each
# must be among those fuzzed, with the body its document declares (an upload's is multipart).
NEW_OPERATIONS = {
    ("POST", "/api/v1/pledges/{pledge_id}/agreement"): "application/json",
    ("PATCH", "/api/v1/pledges/{pledge_id}/agreement"): "application/json",
    ("POST", "/api/v1/obligations"): "application/json",
    ("PATCH", "/api/v1/obligations/{obligation_id}"): "application/json",
    ("POST", "/api/v1/documents"): "multipart/form-data",
    ("PATCH", "/api/v1/documents/{document_id}"): "application/json",
    ("DELETE", "/api/v1/documents/{document_id}"): None,
    ("POST", "/api/v1/users/me/calendar-feed"): None,
    ("DELETE", "/api/v1/users/me/calendar-feed"): None,
}
# Reads first, then creations and changes, deletions last: the seeded records live as long as possible.
METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}
_names = count(1)


@pytest.fixture(autouse=True)
def _hypothesis_files_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # With database=None Hypothesis keeps no examples, but it still caches Unicode tables and the
    # constants it finds in the code under test in ./.hypothesis; keep those in pytest's temporary folder.
    set_hypothesis_home_dir(tmp_path_factory.getbasetemp() / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


def examples_per_operation(backend: str) -> int:
    raw = os.environ.get("PORTFOLIO_FUZZ_EXAMPLES")
    return int(raw) if raw else DEFAULT_EXAMPLES[backend]


# -- the records the fuzzer aims at -----------------------------------------------------------------


@dataclass
class Seeds:
    """A few real records, by the path parameter that names them, so that ids hit rows, not only 404s.

    The ids are fixed at run time (PostgreSQL's sequences do not restart between tests, so "1" is not
    a record there). When the fuzzer deletes a seeded record, a new one takes its place, so that the
    409 and 412 answers of later cases stay reachable.
    """

    client: TestClient
    admin_headers: dict[str, str]
    ids: dict[str, list[Any]] = field(default_factory=dict)

    def plant(self) -> Seeds:
        project = make_project(self.client)
        make_rate(self.client, "USD", "2024-03", "0.92000000")
        own = make_pledge(self.client, project["id"])  # Germany's: the donor account's own State
        other = make_pledge(self.client, project["id"], donor="USA", currency="USD")  # not the donor's
        ok(receive(self.client, own["id"], "1000.00"), 201)
        ok(receive(self.client, other["id"], "250.00", received_on="2024-03-20"), 201)
        throwaway = ok(
            self.client.post(
                "/api/v1/users",
                headers=self.admin_headers,
                json={"email": THROWAWAY_EMAIL, "full_name": "Fuzzed", "role": "staff", "password": PASSWORD},
            ),
            201,
        )
        self.ids = {
            "project_id": [project["id"]],
            "pledge_id": [own["id"], other["id"]],
            "user_id": [throwaway["id"]],
            "code": ["DEU", "SRB", "ISR"],
        }
        self.ids["project_id"].append(self.new_project_id())  # one without pledges, which may be deleted
        self.ids["milestone_id"] = [self.new_milestone_id()]
        self.ids["indicator_id"] = [self.new_indicator_id()]
        self.ids["process_id"] = [self.new_process_id()]
        self.ids["follow_up_id"] = [self.new_follow_up_id()]
        self.ids["document_id"] = [self.new_document_id()]
        agreement = {"reference": "SAMPLE-CA-FUZZ", "signed_on": "2024-04-01"}
        agreement = ok(self.client.post(f"/api/v1/pledges/{own['id']}/agreement", json=agreement), 201)
        due = {"agreement_id": agreement["id"], "kind": "other", "due_on": "2024-09-30"}
        self.ids["obligation_id"] = [ok(self.client.post("/api/v1/obligations", json=due), 201)["id"]]
        return self

    def new_project_id(self) -> int:
        return int(make_project(self.client, areas=["SALW"], beneficiaries=["BIH"])["id"])

    def new_pledge_id(self) -> int:
        return int(make_pledge(self.client, self.ids["project_id"][0])["id"])

    def new_milestone_id(self) -> int:
        url = f"/api/v1/projects/{self.ids['project_id'][0]}/milestones"
        return int(ok(self.client.post(url, json={"title": "Depot fenced", "weight": "2"}), 201)["id"])

    def new_indicator_id(self) -> int:
        url = f"/api/v1/projects/{self.ids['project_id'][0]}/indicators"
        body = {"name": "Ammunition destroyed", "unit": "tonnes", "target": "120"}
        return int(ok(self.client.post(url, json=body), 201)["id"])

    def new_process_id(self) -> int:
        body = {
            "state": "SRB",
            "name": f"National SALW Commission {next(_names)}",
            "kind": "structure",
            "areas": ["SALW"],
            "project_ids": [self.ids["project_id"][0]],
        }
        return int(ok(self.client.post("/api/v1/national-processes", json=body), 201)["id"])

    def new_follow_up_id(self) -> int:
        """The first follow-up check of a process made operational: an outcome may be recorded on it."""
        body = {"state": "MKD", "name": f"Depot inspection body {next(_names)}", "kind": "structure"}
        body |= {"stage": "operational", "stage_changed_on": "2024-03-31"}
        process = ok(self.client.post("/api/v1/national-processes", json=body), 201)
        return int(process["follow_ups"][0]["id"])

    def new_document_id(self) -> int:
        form = {"owner_type": "project", "owner_id": self.ids["project_id"][0], "category": "A07"}
        form |= {"title": "Mid-term review", "shared_with_donor": "true"}  # Germany funds the project
        files = {"file": ("review.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
        return int(ok(self.client.post("/api/v1/documents", data=form, files=files), 201)["id"])

    def replace_if_deleted(self, case: Any, status: int) -> None:
        if case.method.upper() != "DELETE" or status != 204:
            return
        names = re.findall(r"{(\w+)}", case.operation.path)
        if not names:  # e.g. revoking one's own calendar feed: no seeded record is gone
            return
        name = names[-1]
        deleted = (case.path_parameters or {}).get(name)
        if deleted in self.ids.get(name, []):
            self.ids[name].remove(deleted)
            self.ids[name].append(getattr(self, f"new_{name}")())


def load_schema(app: Any, seeds: Seeds, fuzzing_user_ids: set[int]) -> Any:
    """The app's own OpenAPI document, with some inputs steered towards the seeded records."""
    config = schemathesis.Config.from_dict({})  # ignore any schemathesis.toml lying around
    schema = schemathesis.openapi.from_dict(copy.deepcopy(app.openapi()), config=config)
    protected = {str(i) for i in fuzzing_user_ids}

    @schema.hook
    def flatmap_path_parameters(_context: Any, path_parameters: dict[str, Any] | None) -> Any:
        # Either the generated value or a seeded record's id. A fuzzing account is never a target:
        # see test_every_operation_as_each_role.
        if not path_parameters:
            return st.just(path_parameters)
        choices = {}
        for name, value in path_parameters.items():
            if name == "user_id" and str(value) in protected:
                choices[name] = st.sampled_from(seeds.ids["user_id"])
            elif name in seeds.ids and isinstance(value, int | str) and not isinstance(value, bool):
                choices[name] = st.sampled_from([value, *seeds.ids[name]])
            else:
                choices[name] = st.just(value)
        return st.fixed_dictionaries(choices)

    @schema.hook
    def flatmap_headers(_context: Any, headers: dict[str, Any] | None) -> Any:
        # A random If-Match never matches, so also try the current version, a stale one and "*".
        if not headers or not isinstance(headers.get("if-match"), str):
            return st.just(headers)
        tags = st.sampled_from([headers["if-match"], '"1"', '"99"', "*"])
        return tags.map(lambda tag: {**headers, "if-match": tag})

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        # An upload's multipart body: now and then a real PDF for a seeded project, so that uploads are
        # stored (and then read, changed and deleted), not only refused for their random bytes.
        if (
            context.operation is not None
            and context.operation.path == DOCUMENTS_URL
            and isinstance(body, dict)
        ):
            if context.operation.method.lower() != "post":
                return st.just(body)
            steered = {
                "file": st.sampled_from([body.get("file"), SAMPLE_PDF]),
                "owner_type": st.sampled_from([body.get("owner_type"), "project"]),
                "owner_id": st.sampled_from([body.get("owner_id"), *seeds.ids["project_id"]]),
                "category": st.sampled_from([body.get("category"), "A07"]),
            }
            return st.fixed_dictionaries(steered).map(
                lambda chosen: {**body, **{k: v for k, v in chosen.items() if v is not None}}
            )
        # Log in with a real account now and then: wrong passwords (up to the 429 lock-out) and right ones.
        if context.operation is None or context.operation.path != TOKEN_URL or not isinstance(body, dict):
            return st.just(body)
        if not isinstance(body.get("username"), str) or not isinstance(body.get("password"), str):
            return st.just(body)
        usernames = st.sampled_from([body["username"], THROWAWAY_EMAIL])
        passwords = st.sampled_from([body["password"], PASSWORD])
        return st.tuples(usernames, passwords).map(lambda up: {**body, "username": up[0], "password": up[1]})

    return schema


def ordered_operations(schema: Any) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    return sorted(operations, key=lambda op: (METHOD_ORDER.get(op.method.lower(), 9), op.path))


@dataclass
class Outcome:
    cases: int = 0
    failures: list[str] = field(default_factory=list)


def fuzz(
    app: Any,
    seeds: Seeds,
    operations: list[Any],
    headers: dict[str, str],
    max_examples: int,
    after_each: Callable[[Any], None] | None = None,
) -> Outcome:
    """Fuzz each operation with valid and invalid input; report every operation that fails a check."""
    outcome = Outcome()
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
        # The examples phase: the document's own examples (what "Try it out" sends), each at least once.
        examples = operation.get_strategies_from_examples()
        if examples:

            @settings(
                max_examples=2 * len(examples),
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            )
            @given(case=st.one_of(*examples))
            def check_example(case: Any) -> None:
                outcome.cases += 1
                response = case.call_and_validate(headers=headers, checks=CHECKS, app=app)
                seeds.replace_if_deleted(case, response.status_code)

            try:
                check_example()
            except (Exception, FailureGroup) as exc:
                outcome.failures.append(f"{operation.label} (its examples):\n{exc}")

        @settings(
            max_examples=max_examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=strategy)
        def check(case: Any) -> None:
            outcome.cases += 1
            response = case.call_and_validate(headers=headers, checks=CHECKS, app=app)
            seeds.replace_if_deleted(case, response.status_code)

        try:
            check()
        except (Exception, FailureGroup) as exc:  # a FailureGroup is a BaseExceptionGroup
            outcome.failures.append(f"{operation.label}:\n{exc}")
        if after_each is not None:
            after_each(operation)
    return outcome


def report(backend: str, who: str, outcome: Outcome, started: float) -> None:
    print(f"fuzz {backend} {who}: {outcome.cases} cases in {time.monotonic() - started:.1f} s")
    assert not outcome.failures, f"{len(outcome.failures)} operation(s) failed:\n\n" + "\n\n".join(
        outcome.failures
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_each_role(app, accounts, client, backend, role):
    """Every operation, as this role, on a database of its own seeded with a few records.

    Account changes could lock the fuzzer out: PATCH /users/{id} may deactivate an account, demote it or
    reset its password, and each of these revokes the account's tokens. Each role runs on a fresh
    database, so one role's run cannot spoil another's; within a run the four fuzzing accounts are never
    the target: a generated user id of theirs is redirected to a throwaway account made for the purpose,
    which the fuzzer may change at will (so PATCH /users/{id} is still fuzzed on a real record). And in
    case a route added later revokes the caller's own token (a logout, a password change), the token is
    checked after every operation, so such a route fails loudly instead of turning the rest of the run
    into 401s; it would then need the same treatment.
    """
    seeds = Seeds(client, accounts["admin"].headers).plant()
    schema = load_schema(app, seeds, {account.id for account in accounts.values()})
    headers = accounts[role].headers

    def still_logged_in(operation: Any) -> None:
        me = client.get("/api/v1/users/me", headers=headers)
        assert me.status_code == 200, f"{operation.label} locked the fuzzing {role} account out: {me.text}"

    started = time.monotonic()
    outcome = fuzz(
        app, seeds, ordered_operations(schema), headers, examples_per_operation(backend), still_logged_in
    )
    report(backend, role, outcome, started)


def test_every_operation_without_a_token(app, accounts, client, backend):
    """Every operation without a token: 401, or for the public ones their usual answers."""
    seeds = Seeds(client, accounts["admin"].headers).plant()
    schema = load_schema(app, seeds, {account.id for account in accounts.values()})
    started = time.monotonic()
    examples = max(1, examples_per_operation(backend) * ANONYMOUS_EXAMPLES // DEFAULT_EXAMPLES[backend])
    outcome = fuzz(app, seeds, ordered_operations(schema), {}, examples)
    report(backend, "anonymous", outcome, started)


def test_the_agreements_documents_and_calendar_operations_are_fuzzed_with_their_bodies(app, accounts, client):
    """The operations of issue 14 are among those the fuzzer sends, each with the body its document
    declares; the upload's is multipart, and what the fuzzer sends as one is a multipart request."""
    seeds = Seeds(client, accounts["admin"].headers).plant()
    schema = load_schema(app, seeds, {account.id for account in accounts.values()})
    fuzzed = {(op.method.upper(), op.path): op for op in ordered_operations(schema)}
    for key, media_type in NEW_OPERATIONS.items():
        assert key in fuzzed, f"{key} is not fuzzed"
        bodies = [body.media_type for body in fuzzed[key].body]
        assert bodies == ([media_type] if media_type else []), (key, bodies)

    upload = fuzzed[("POST", DOCUMENTS_URL)]
    seen: list[Any] = []

    @settings(max_examples=30, derandomize=True, database=None, deadline=None, phases=[Phase.generate])
    @given(case=upload.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def collect(case: Any) -> None:
        seen.append(case)

    collect()
    statuses = set()
    for case in seen:
        request = case.as_transport_kwargs()
        assert case.media_type == "multipart/form-data"
        response = case.call(headers=accounts["staff"].headers, app=app)
        statuses.add(response.status_code)
        assert response.status_code < 500, (request, response.text)
    # The steered cases store real uploads; the random ones are refused for their content or their owner.
    assert 201 in statuses and statuses & {415, 422}


# -- what the fuzzer found: one concrete request each -----------------------------------------------


def declared(app: Any, method: str, path: str) -> dict[int, list[str]]:
    """The statuses the OpenAPI document declares for an operation, each with its content types."""
    responses = app.openapi()["paths"][path][method.lower()]["responses"]
    return {int(status): list(r.get("content", {})) for status, r in responses.items() if status.isdigit()}


def assert_declared(app: Any, method: str, path: str, response: Any) -> None:
    statuses = declared(app, method, path)
    status = response.status_code
    assert status in statuses, (
        f"{method} {path} answered {status}, which its OpenAPI document does not declare "
        f"(it declares {sorted(statuses)})"
    )
    served = response.headers["content-type"].split(";")[0]
    media_types = [media_type.split(";")[0] for media_type in statuses[status]]
    assert served in media_types, f"{method} {path} {status} is {served}, declared as {media_types}"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        pytest.param("/api/v1/projects?q=a%00b", "/api/v1/projects", id="projects-q"),
        pytest.param("/api/v1/pledges?donor=DE%00", "/api/v1/pledges", id="pledges-donor"),
        pytest.param("/api/v1/states/a%00b", "/api/v1/states/{code}", id="state-code"),
        pytest.param("/api/v1/exports/projects.csv?q=%00", "/api/v1/exports/projects.{fmt}", id="export-q"),
    ],
)
def test_a_nul_character_in_the_address_gets_a_declared_problem(app, client, url, path):
    # Fuzzer: a NUL in a query or path parameter gets 400 from the refuse_nul middleware, a status that
    # no operation but the import declares.
    response = client.get(url)
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert_declared(app, "GET", path, response)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\xff", id="not-utf8"),
        pytest.param(b'{"title": "Depot \xe9"}', id="latin1-text"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-too-deeply"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("POST", "/api/v1/projects", id="create"),
        pytest.param("PATCH", "/api/v1/projects/{project_id}", id="update"),
    ],
)
def test_a_body_that_is_not_json_text_is_a_422_naming_the_body(app, client, method, path, body):
    # Fuzzer: a JSON body that is not UTF-8 (or nested beyond Python's recursion limit) gets FastAPI's
    # bare 400 "There was an error parsing the body", undeclared, where malformed JSON gets a 422.
    url = path.format(project_id=make_project(client)["id"])
    response = client.request(method, url, content=body, headers={"content-type": "application/json"})
    problem = assert_problem(response, 422)
    assert any(error["loc"][:1] == ["body"] for error in problem["errors"]), problem
    assert_declared(app, method, path, response)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        pytest.param("/api/v1/states", "/api/v1/states", id="list"),
        pytest.param("/api/v1/states/DEU", "/api/v1/states/{code}", id="one"),
    ],
)
def test_the_states_without_a_token_are_a_declared_401(app, anon, url, path):
    # Fuzzer (no token): the States answer 401 like every other route, but declare only 200, 404, 422.
    response = anon.get(url)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert_declared(app, "GET", path, response)


@pytest.mark.parametrize(
    ("part", "body"),
    [
        pytest.param("milestones", {"title": "Depot fenced"}, id="milestone"),
        pytest.param("indicators", {"name": "Destroyed", "unit": "tonnes", "target": "5"}, id="indicator"),
    ],
)
def test_deleting_a_part_with_a_stale_etag_is_a_declared_412(app, client, part, body):
    # Fuzzer (If-Match steered to a stale version): the 412 is right, but these DELETEs declare only
    # 401, 403, 404, 422 and 503.
    project = make_project(client)
    made = ok(client.post(f"/api/v1/projects/{project['id']}/{part}", json=body), 201)
    url = f"/api/v1/projects/{project['id']}/{part}/{made['id']}"
    response = client.delete(url, headers={"If-Match": '"99"'})
    assert_problem(response, 412)
    assert [p["id"] for p in ok(client.get(f"/api/v1/projects/{project['id']}/{part}"))] == [made["id"]]
    singular = part.removesuffix("s")
    assert_declared(app, "DELETE", f"/api/v1/projects/{{project_id}}/{part}/{{{singular}_id}}", response)


# -- not from the fuzzer, which cannot break the database, but the same kind of gap ------------------


def test_readyz_declares_its_503_when_the_database_is_unreachable(backend, tmp_path):
    url = (
        f"sqlite:///{tmp_path}/missing-folder/portfolio.db"
        if backend == "sqlite"
        else "postgresql+psycopg://postgres@127.0.0.1:1/test"  # nothing listens on port 1
    )
    app = create_app(make_settings(database_url=url, migrate_on_start=False))
    with TestClient(app) as anon:
        response = anon.get("/readyz")
    assert_problem(response, 503)
    assert_declared(app, "GET", "/readyz", response)


def test_readyz_declares_its_503_when_migrations_are_pending(empty_database_url):
    app = create_app(make_settings(database_url=empty_database_url, migrate_on_start=False))
    with TestClient(app) as anon:
        response = anon.get("/readyz")
    app.state.db.dispose()
    assert response.status_code == 503
    assert_declared(app, "GET", "/readyz", response)


# -- junk stored anywhere breaks no output ------------------------------------------------------------

# Text that an earlier version stored, or that another program wrote into the database: control
# characters of every kind, markup, formula starts, right-to-left marks, long lines.
LEGACY_JUNK = 'Depot\x07 \x1b[31m<b>&amp;</b> =HYPERLINK("x")\x0b\u202e\ufffe\x85'  # fits every column
LONG_JUNK = LEGACY_JUNK + " " + "x" * 3000  # for the columns without a length limit
LEGACY_COLUMNS = {
    "project": ["title", "description", "implementing_partner"],
    "milestone": ["title"],
    "indicator": ["name", "unit"],
    "pledge": ["note"],
    "national_process": ["name", "description"],
    "project_status_change": ["note"],
    "app_user": ["full_name"],
}
UNLIMITED = {"description", "note"}


def store_legacy_junk(db: Any) -> None:
    """Write junk straight into every text column a person fills in, past every check of the API."""
    from sqlalchemy import text

    with db.session(write=True) as session:
        for table, columns in LEGACY_COLUMNS.items():
            for column in columns:
                where = " WHERE role = 'staff'" if table == "app_user" else ""
                junk = LONG_JUNK if column in UNLIMITED else LEGACY_JUNK
                session.execute(text(f"UPDATE {table} SET {column} = :junk{where}"), {"junk": junk})  # noqa: S608


def every_output(app: Any, headers: dict[str, str]) -> list[str]:
    """Read every list, every export (CSV, XLSX, IATI), every dashboard page and its downloads, and the
    backup; give each that answered 5xx."""
    client = TestClient(app, raise_server_exceptions=False)
    urls = []
    for path, item in app.openapi()["paths"].items():
        if "get" not in item or path in ("/healthz", "/readyz"):
            continue
        if "{fmt}" in path:
            urls += [path.replace("{fmt}", fmt) for fmt in ("csv", "xlsx")]
        elif "{" not in path:
            urls.append(path)
    pages = ["funding", "gaps", "progress", "national-processes", "data-quality", "donors/DEU"]
    urls += [f"/dashboards/{page}" for page in pages] + [f"/dashboards/{page}?lang=fr" for page in pages]
    broken = []
    seen = set()
    while urls:
        url = urls.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, headers=headers, follow_redirects=True)
        if response.status_code >= 500:
            broken.append(f"{url}: {response.status_code} {response.text[:200]}")
        elif url.startswith("/dashboards/") and "text/html" in response.headers.get("content-type", ""):
            urls += [
                link.replace("&amp;", "&")
                for link in re.findall(r'href="(/dashboards/[^"]+\.csv[^"]*)"', response.text)
            ]
    from portfolio import backup

    with app.state.db.session() as session:
        try:
            import json

            json.dumps(backup.dump(session))
        except Exception as exc:  # a backup that cannot be written is as broken as a 500
            broken.append(f"backup: {exc!r}")
    return broken


def test_junk_written_through_every_operation_breaks_no_output(app, accounts, client, backend):
    """The stateful phase: write whatever the API accepts through every create and update operation
    (schemathesis' valid input: any Unicode the rules allow, markup, the longest strings), then store
    older junk straight in the database (control characters and all), then read every list, export,
    dashboard page and the backup, as staff and as a donor: none may answer 5xx."""
    seeds = Seeds(client, accounts["admin"].headers).plant()
    schema = load_schema(app, seeds, {account.id for account in accounts.values()})
    writes = [op for op in ordered_operations(schema) if op.method.lower() in ("post", "patch")]
    writes = [op for op in writes if "/auth/" not in op.path and "/imports/" not in op.path]
    started = time.monotonic()
    outcome = fuzz(app, seeds, writes, accounts["admin"].headers, examples_per_operation(backend))
    report(backend, "junk writes", outcome, started)
    broken = every_output(app, accounts["staff"].headers)
    started_project = make_project(client, start_date="2024-02-01")  # one the IATI file publishes
    make_pledge(client, started_project["id"], note="Agreement signed")
    store_legacy_junk(app.state.db)
    broken += every_output(app, accounts["staff"].headers)
    broken += every_output(app, accounts["donor"].headers)
    assert broken == [], "\n".join(broken)
