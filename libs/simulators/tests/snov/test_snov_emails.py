"""emails-by-domain-by-name: statuses, result items, credits charged once, not_enough_credits."""

from __future__ import annotations

from typing import Any

import aiohttp

from leadpipe_simulators.snov import EmailCandidate, SnovSimulator

START = "/v2/emails-by-domain-by-name/start"
RESULT = "/v2/emails-by-domain-by-name/result"


def _auth(sim: SnovSimulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.issue_token()}"}


def _row(first: str, last: str, domain: str) -> dict[str, str]:
    return {"first_name": first, "last_name": last, "domain": domain}


async def _start(
    http: aiohttp.ClientSession, sim: SnovSimulator, rows: list[dict[str, str]]
) -> str:
    async with http.post(sim.url + START, json={"rows": rows}, headers=_auth(sim)) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
    assert body["meta"] == {"rows": rows}
    task_hash = body["data"]["task_hash"]
    assert isinstance(task_hash, str)
    return task_hash


async def _result(http: aiohttp.ClientSession, sim: SnovSimulator, task_hash: str) -> Any:
    async with http.get(
        sim.url + RESULT, params={"task_hash": task_hash}, headers=_auth(sim)
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def _force_people(sim: SnovSimulator) -> list[dict[str, str]]:
    sim.set_emails(
        "Maria",
        "Lindqvist",
        "brightwater.co.uk",
        [EmailCandidate("maria.lindqvist@brightwater.co.uk", "valid")],
    )
    sim.set_emails(
        "Jonas",
        "Keller",
        "kellervoss.de",
        [
            EmailCandidate("j.keller@kellervoss.de", "unknown", "catchall"),
            EmailCandidate("jonas@kellervoss.de", "unknown", "catchall"),
        ],
    )
    sim.set_emails("Nobody", "Here", "kellervoss.de", [])
    return [
        _row("Maria", "Lindqvist", "brightwater.co.uk"),
        _row("Jonas", "Keller", "kellervoss.de"),
        _row("Nobody", "Here", "kellervoss.de"),
    ]


async def test_result_goes_in_progress_then_completed_with_fixture_shapes(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    rows = _force_people(snov)
    task_hash = await _start(http, snov, rows)
    pending = await _result(http, snov, task_hash)
    assert pending["status"] == "in_progress"
    assert pending["data"] == []
    assert pending["meta"] == {"rows": rows, "task_hash": task_hash}

    snov.clock.advance(snov.config.email_task_delay)
    body = await _result(http, snov, task_hash)
    assert body["status"] == "completed"
    maria, jonas, nobody = body["data"]
    assert maria == {
        "people": "Maria Lindqvist",
        "result": [
            {
                "email": "maria.lindqvist@brightwater.co.uk",
                "smtp_status": "valid",
                "is_valid_format": True,
                "is_disposable": False,
                "is_webmail": False,
                "is_gibberish": False,
            }
        ],
    }
    assert jonas["people"] == "Jonas Keller"
    assert [r["unknown_status_reason"] for r in jonas["result"]] == ["catchall", "catchall"]
    assert {r["smtp_status"] for r in jonas["result"]} == {"unknown"}
    assert nobody == {"people": "Nobody Here", "result": []}


async def test_each_returned_email_costs_one_credit_once(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    rows = _force_people(snov)
    task_hash = await _start(http, snov, rows)
    snov.clock.advance(snov.config.email_task_delay)
    for _ in range(3):
        await _result(http, snov, task_hash)
    assert snov.credits_for_task(task_hash) == 3
    assert snov.credits_spent("emails-by-domain-by-name") == 3
    assert snov.balance() == 25_000 - 3
    async with http.get(snov.url + "/v1/get-balance", headers=_auth(snov)) as response:
        body = await response.json()
    assert body["success"] is True
    assert body["data"]["balance"] == "24997.00"
    assert body["data"]["teamwork"] is False
    assert {"unique_recipients_used", "limit_resets_in", "expires_in"} <= body["data"].keys()


async def test_not_enough_credits_ends_the_task_without_charging(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    rows = _force_people(snov)
    snov.set_balance(2)
    task_hash = await _start(http, snov, rows)
    snov.clock.advance(snov.config.email_task_delay)
    body = await _result(http, snov, task_hash)
    assert body["status"] == "not_enough_credits"
    assert body["data"] == []
    assert snov.balance() == 2
    assert snov.credits_spent() == 0

    snov.add_credits(10)
    retry = await _start(http, snov, rows)
    snov.clock.advance(snov.config.email_task_delay)
    assert (await _result(http, snov, retry))["status"] == "completed"
    assert snov.balance() == 9


async def test_domain_task_without_credits_uses_the_same_status(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    snov.set_domain("Paid Ltd", "paid.co.uk")
    snov.set_balance(0)
    async with http.post(
        snov.url + "/v2/company-domain-by-name/start",
        params={"names[]": "Paid Ltd"},
        headers=_auth(snov),
    ) as response:
        task_hash = (await response.json())["data"]["task_hash"]
    snov.clock.advance(snov.config.domain_task_delay)
    async with http.get(
        snov.url + "/v2/company-domain-by-name/result",
        params={"task_hash": task_hash},
        headers=_auth(snov),
    ) as response:
        body = await response.json()
    assert body["status"] == "not_enough_credits"
    assert body["data"] == []


async def test_row_validation(snov: SnovSimulator, http: aiohttp.ClientSession) -> None:
    too_many = [_row("A", f"B{i}", "x.com") for i in range(11)]
    async with http.post(
        snov.url + START, json={"rows": too_many}, headers=_auth(snov)
    ) as response:
        assert response.status == 400
        assert (await response.json())["errors"] == ["The rows may not have more than 10 items."]
    broken = [{"first_name": "A", "last_name": "B"}]
    async with http.post(snov.url + START, json={"rows": broken}, headers=_auth(snov)) as response:
        assert response.status == 400
        assert (await response.json())["errors"] == ["The rows.0.domain field is required."]
    async with http.post(
        snov.url + START,
        json={"rows": [_row("A", "B", "x.com")], "webhook_url": "ftp://x"},
        headers=_auth(snov),
    ) as response:
        assert response.status == 400


async def test_seeded_outcomes_are_mostly_valid_with_some_unknown_and_none(
    snov: SnovSimulator,
) -> None:
    outcomes = [
        snov.expected_emails(f"Person{i}", f"Surname{i}", f"company{i % 50}.co.uk")
        for i in range(600)
    ]
    valid = sum(1 for found in outcomes if found and found[0].smtp_status == "valid")
    unknown = sum(1 for found in outcomes if found and found[0].smtp_status == "unknown")
    none = sum(1 for found in outcomes if not found)
    assert valid > 300
    assert unknown > 30
    assert none > 40
    reasons = {c.unknown_status_reason for found in outcomes for c in found}
    assert "catchall" in reasons
    assert all(
        (c.unknown_status_reason is None) == (c.smtp_status == "valid")
        for found in outcomes
        for c in found
    )


async def test_same_seed_same_answers(make_snov: Any) -> None:
    first, second = make_snov(seed=11), make_snov(seed=11)
    other = make_snov(seed=12)
    people = [(f"Ann{i}", f"Lee{i}", f"firm{i}.com") for i in range(50)]
    assert [first.expected_emails(*p) for p in people] == [
        second.expected_emails(*p) for p in people
    ]
    assert [first.expected_emails(*p) for p in people] != [
        other.expected_emails(*p) for p in people
    ]
