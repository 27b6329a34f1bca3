"""company-domain-by-name: batch limit, input forms, in progress → completed, no-domain shapes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from leadpipe_simulators.snov import NoDomainShape, SnovSimulator, normalise_company_name

START = "/v2/company-domain-by-name/start"
RESULT = "/v2/company-domain-by-name/result"


def _auth(sim: SnovSimulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.issue_token()}"}


async def _start(http: aiohttp.ClientSession, sim: SnovSimulator, names: list[str]) -> str:
    params = [("names[]", n) for n in names]
    async with http.post(sim.url + START, params=params, headers=_auth(sim)) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
    assert body["meta"] == {"names": names}
    task_hash = body["data"]["task_hash"]
    assert isinstance(task_hash, str)
    return task_hash


async def _result(http: aiohttp.ClientSession, sim: SnovSimulator, task_hash: str) -> Any:
    async with http.get(
        sim.url + RESULT, params={"task_hash": task_hash}, headers=_auth(sim)
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_more_than_ten_names_is_400(snov: SnovSimulator, http: aiohttp.ClientSession) -> None:
    params = [("names[]", f"Company {i} Ltd") for i in range(11)]
    async with http.post(snov.url + START, params=params, headers=_auth(snov)) as response:
        assert response.status == 400
        body = await response.json()
    assert body["success"] is False
    assert body["errors"] == ["The names may not have more than 10 items."]
    assert snov.tasks() == []


async def test_missing_names_is_400(snov: SnovSimulator, http: aiohttp.ClientSession) -> None:
    async with http.post(snov.url + START, headers=_auth(snov)) as response:
        assert response.status == 400
        assert (await response.json())["errors"] == ["The names field is required."]


async def test_task_is_in_progress_until_the_delay_passes(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    snov.set_domain("Brightwater Analytics Ltd", "brightwateranalytics.com")
    snov.set_domain("Keller & Voss Logistics Limited", "kellervoss.de")
    names = ["Brightwater Analytics Ltd", "Keller & Voss Logistics Limited"]
    task_hash = await _start(http, snov, names)

    pending = await _result(http, snov, task_hash)
    assert pending == {
        "status": "in progress",
        "data": [],
        "meta": {"names": names, "task_hash": task_hash},
    }

    snov.clock.advance(snov.config.domain_task_delay)
    done = await _result(http, snov, task_hash)
    assert done == {
        "status": "completed",
        "data": [
            {"name": names[0], "result": {"domain": "brightwateranalytics.com"}},
            {"name": names[1], "result": {"domain": "kellervoss.de"}},
        ],
        "meta": {"names": names, "task_hash": task_hash},
    }


async def test_form_and_json_inputs_are_accepted(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        snov.url + START,
        data=[("names[]", "Acme Ltd"), ("names[]", "Beta Plc")],
        headers=_auth(snov),
    ) as response:
        assert response.status == 200
        assert (await response.json())["meta"]["names"] == ["Acme Ltd", "Beta Plc"]
    async with http.post(
        snov.url + START, json={"names": ["Gamma Limited"]}, headers=_auth(snov)
    ) as response:
        assert response.status == 200
        assert (await response.json())["meta"]["names"] == ["Gamma Limited"]


async def test_found_domain_derives_from_the_normalised_name(snov: SnovSimulator) -> None:
    assert normalise_company_name("The Acme Widgets (UK) Ltd.") == "ACME WIDGETS"
    assert normalise_company_name("ACME WIDGETS CYFYNGEDIG") == "ACME WIDGETS"
    assert normalise_company_name("Acme Widgets Public Limited Company") == "ACME WIDGETS"
    snov.set_domain("Acme Widgets", "acmewidgets.co.uk")
    assert snov.expected_domain("ACME WIDGETS LIMITED") == "acmewidgets.co.uk"
    snov.clear_overrides()
    seeded = {snov.expected_domain(n) for n in ("Acme Widgets Ltd", "ACME WIDGETS PLC")}
    assert len(seeded) == 1
    domain = seeded.pop()
    if domain is not None:
        assert domain.startswith("acmewidgets.")


async def test_about_a_quarter_of_companies_have_no_domain(snov: SnovSimulator) -> None:
    names = [f"Northfield Trading {i} Ltd" for i in range(1000)]
    missing = sum(snov.expected_domain(n) is None for n in names)
    assert 230 <= missing <= 320, missing


async def test_no_domain_entries_come_in_every_shape(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    names = ["Null Co Ltd", "Empty Object Ltd", "Empty List Ltd", "Missing Ltd", "Found Ltd"]
    for name, shape in zip(names, NoDomainShape, strict=False):
        snov.set_domain(name, None, shape)
    snov.set_domain("Found Ltd", "found.co.uk")
    task_hash = await _start(http, snov, names)
    snov.clock.advance(snov.config.domain_task_delay)
    body = await _result(http, snov, task_hash)
    assert body["data"] == [
        {"name": "Null Co Ltd", "result": None},
        {"name": "Empty Object Ltd", "result": {}},
        {"name": "Empty List Ltd", "result": []},
        {"name": "Found Ltd", "result": {"domain": "found.co.uk"}},
    ]
    assert snov.credits_for_task(task_hash) == 1


async def test_seeded_no_domain_shapes_vary_between_names(snov: SnovSimulator) -> None:
    shapes = {
        snov.engine.outcomes.domain_for(f"Shape Probe {i} Ltd").missing_shape for i in range(200)
    }
    assert shapes == set(NoDomainShape)


async def test_domains_are_charged_once_however_often_the_result_is_read(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    snov.set_domain("One Ltd", "one.co.uk")
    snov.set_domain("Two Ltd", "two.com")
    snov.set_domain("Three Ltd", None)
    task_hash = await _start(http, snov, ["One Ltd", "Two Ltd", "Three Ltd"])
    before = snov.balance()
    snov.clock.advance(snov.config.domain_task_delay)
    for _ in range(3):
        assert (await _result(http, snov, task_hash))["status"] == "completed"
    assert snov.credits_for_task(task_hash) == 2
    assert snov.balance() == before - 2
    assert snov.credits_spent("company-domain-by-name") == 2
    assert [c.items for c in snov.charges()] == [("ONE", "TWO")]


async def test_paying_twice_for_a_company_is_visible(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    snov.set_domain("Repeat Ltd", "repeat.co.uk")
    first = await _start(http, snov, ["Repeat Ltd"])
    second = await _start(http, snov, ["REPEAT LIMITED"])
    snov.clock.advance(snov.config.domain_task_delay)
    await _result(http, snov, first)
    await _result(http, snov, second)
    assert snov.items_paid_more_than_once() == {("company-domain-by-name", "REPEAT"): 2}


async def test_unknown_task_and_unknown_path_are_the_404_envelope(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    expected = {
        "errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}
    }
    async with http.get(
        snov.url + RESULT, params={"task_hash": "0" * 32}, headers=_auth(snov)
    ) as response:
        assert response.status == 404
        assert await response.json() == expected
    async with http.get(snov.url + "/v2/no-such-thing") as response:
        assert response.status == 404
        assert await response.json() == expected


async def test_completion_happens_without_polling(
    snov: SnovSimulator, http: aiohttp.ClientSession, wait_until: Callable[..., Awaitable[None]]
) -> None:
    snov.set_domain("Quiet Ltd", "quiet.co.uk")
    task_hash = await _start(http, snov, ["Quiet Ltd"])
    balance = snov.balance()
    snov.clock.advance(snov.config.domain_task_delay)
    await wait_until(lambda: snov.task(task_hash).done, what="scheduled completion")
    assert snov.balance() == balance - 1
