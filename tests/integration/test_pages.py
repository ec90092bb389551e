"""The hosted pages over HTTP, on SQLite and PostgreSQL: GETs change nothing, forms need their
CSRF token, one-click POSTs need nothing but the link, and only shown types change."""

from __future__ import annotations

import random
from urllib.parse import quote

import httpx
import pytest

from commprefs.domain.preferences import State
from tests.support.factories import Factory, Tenant, email
from tests.support.pages import ONE_CLICK, V4, checkbox_states, form_value, generate
from tests.support.server import Server


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=3)


def states(factory: Factory, tenant: Tenant, subscriber: str) -> dict[int, State]:
    """The statuses of the tenant's own types (business unit 0), as E2 reads them."""
    return {i: s.status for i, s in factory.statuses(tenant.portal, subscriber, 0).items()}


def test_gets_and_heads_change_nothing(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber, subscriptionId=tenant.definitions[0].id)
    urls = [
        links["managePreferencesUrl"],
        links["unsubscribeAllUrl"],
        links["unsubscribeSingleUrl"],
    ]

    for url in urls:
        for _ in range(3):  # as a mail scanner would, repeatedly
            assert http.get(url).status_code == 200
            assert http.head(url).status_code == 200

    assert factory.ledger(tenant.portal, subscriber) == []
    assert set(states(factory, tenant, subscriber).values()) == {State.NOT_SPECIFIED}


def test_the_manage_page_lists_every_active_type_of_the_links_business_unit(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    factory.definition(tenant.portal, active=False, name="Retired type")
    unit = factory.business_unit(tenant.portal)
    factory.definition(tenant.portal, unit.id, name="Other brand's type")
    links = generate(http, tenant, email())

    page = http.get(links["managePreferencesUrl"]).text

    assert sorted(checkbox_states(page)) == [d.id for d in tenant.definitions]
    assert "Retired type" not in page
    assert "Other brand" not in page
    for definition in tenant.definitions:
        assert definition.name in page
        assert definition.description in page


def test_one_click_post_unsubscribes_without_cookies_or_csrf(
    server: Server, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    with httpx.Client(base_url=server.url) as api:
        links = generate(api, tenant, subscriber)
    # A fresh client: no cookie was ever set, as for a mail provider.
    with httpx.Client() as provider:
        response = provider.post(links["unsubscribeAllUrl"], data=ONE_CLICK)

    assert response.status_code == 200
    assert "Unsubscribed" in response.text
    assert "set-cookie" not in response.headers
    assert set(states(factory, tenant, subscriber).values()) == {State.UNSUBSCRIBED}
    entries = factory.ledger(tenant.portal, subscriber)
    assert entries
    for entry in entries:
        assert (entry.source, entry.api, entry.token_id) == ("One-click unsubscribe", "pages", None)
    wide = [e for e in entries if e.wide_type is not None]
    assert [(e.wide_type, e.business_unit_id) for e in wide] == [("PORTAL_WIDE", 0)]
    with httpx.Client(base_url=server.url, headers=tenant.headers) as api:
        read = api.get(f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}).json()
    assert {(r["status"], r["source"]) for r in read["results"]} == {
        ("UNSUBSCRIBED", "One-click unsubscribe")
    }


def test_one_click_to_the_single_url_unsubscribes_from_that_type_only(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    target = tenant.definitions[1]
    links = generate(http, tenant, subscriber, subscriptionId=target.id)

    multipart = httpx.post(
        links["unsubscribeSingleUrl"], files={"List-Unsubscribe": (None, "One-Click")}
    )

    assert multipart.status_code == 200
    after = states(factory, tenant, subscriber)
    assert after.pop(target.id) is State.UNSUBSCRIBED
    assert set(after.values()) == {State.NOT_SPECIFIED}
    again = httpx.post(links["unsubscribeSingleUrl"], content=b"List-Unsubscribe=One-Click")
    assert again.status_code == 200
    assert len(factory.ledger(tenant.portal, subscriber)) == 1


def test_a_one_click_for_a_business_unit_opts_out_of_that_unit_only(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    unit = factory.business_unit(tenant.portal)
    brand_type = factory.definition(tenant.portal, unit.id)
    subscriber = email()
    links = generate(http, tenant, subscriber, business_unit_id=unit.id)

    assert httpx.post(links["unsubscribeAllUrl"], data=ONE_CLICK).status_code == 200

    assert factory.statuses(tenant.portal, subscriber, unit.id)[brand_type.id].status is (
        State.UNSUBSCRIBED
    )
    assert set(states(factory, tenant, subscriber).values()) == {State.NOT_SPECIFIED}
    wide = [e for e in factory.ledger(tenant.portal, subscriber) if e.wide_type is not None]
    assert [(e.wide_type, e.business_unit_id) for e in wide] == [("BUSINESS_UNIT_WIDE", unit.id)]


def test_saving_the_form_changes_only_the_boxes_that_changed(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber)
    page = http.get(links["managePreferencesUrl"]).text
    shown = checkbox_states(page)
    assert set(shown.values()) == {True}  # no GDPR: mail goes out until one opts out
    first, second, third = (d.id for d in tenant.definitions)

    response = http.post(
        links["managePreferencesUrl"],
        data={
            "csrf": form_value(page, "csrf"),
            "shown": [str(first), str(second), str(third)],
            "subscribed": [str(third)],
        },
    )

    assert response.status_code == 200
    assert "Your preferences are saved" in response.text
    after = states(factory, tenant, subscriber)
    assert after == {
        first: State.UNSUBSCRIBED,
        second: State.UNSUBSCRIBED,
        third: State.NOT_SPECIFIED,
    }
    entries = factory.ledger(tenant.portal, subscriber)
    assert sorted(e.subscription_id for e in entries) == [first, second]
    assert {(e.source, e.api, e.token_id) for e in entries} == {("Preference page", "pages", None)}


def test_a_partial_form_never_switches_off_types_it_did_not_show(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber)
    page = http.get(links["managePreferencesUrl"]).text
    first = tenant.definitions[0].id
    foreign = factory.tenant(types=1).definitions[0].id

    http.post(
        links["managePreferencesUrl"],
        data={"csrf": form_value(page, "csrf"), "shown": [str(first), str(foreign), "x"]},
    )

    after = states(factory, tenant, subscriber)
    assert after.pop(first) is State.UNSUBSCRIBED
    assert set(after.values()) == {State.NOT_SPECIFIED}
    assert [e.subscription_id for e in factory.ledger(tenant.portal, subscriber)] == [first]


def test_resubscribing_on_the_page_lifts_the_opt_out(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber)
    httpx.post(links["unsubscribeAllUrl"], data=ONE_CLICK)
    page = http.get(links["managePreferencesUrl"]).text
    assert "You are unsubscribed from all email" in page
    assert set(checkbox_states(page).values()) == {False}
    first = tenant.definitions[0].id

    http.post(
        links["managePreferencesUrl"],
        data={
            "csrf": form_value(page, "csrf"),
            "shown": [str(d.id) for d in tenant.definitions],
            "subscribed": [str(first)],
        },
    )

    status = factory.statuses(tenant.portal, subscriber)[first]
    assert status.status is State.SUBSCRIBED
    assert status.source == "Preference page"
    assert status.legal_basis == "CONSENT_WITH_NOTICE"
    assert status.legal_basis_explanation == "Subscribed on the preference page"
    assert "You are unsubscribed from all" not in http.get(links["managePreferencesUrl"]).text


def test_gdpr_portals_show_unchosen_types_unticked_and_record_consent(
    http: httpx.Client, factory: Factory
) -> None:
    tenant = factory.tenant(types=2, gdpr=True)
    subscriber = email()
    links = generate(http, tenant, subscriber)
    page = http.get(links["managePreferencesUrl"]).text
    assert set(checkbox_states(page).values()) == {False}
    first, second = (d.id for d in tenant.definitions)

    http.post(
        links["managePreferencesUrl"],
        data={
            "csrf": form_value(page, "csrf"),
            "shown": [str(first), str(second)],
            "subscribed": [str(first)],
        },
    )

    statuses = factory.statuses(tenant.portal, subscriber)
    assert statuses[first].status is State.SUBSCRIBED
    assert statuses[first].legal_basis == "CONSENT_WITH_NOTICE"
    assert statuses[second].status is State.NOT_SPECIFIED


def test_forms_without_a_valid_csrf_token_change_nothing(
    http: httpx.Client, server: Server, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber)
    other_links = generate(http, tenant, email())
    page = http.get(links["managePreferencesUrl"]).text
    other_page = http.get(other_links["managePreferencesUrl"]).text
    everything = {"shown": [str(d.id) for d in tenant.definitions]}
    with httpx.Client(base_url=server.url) as cookieless:
        attempts = [
            (http, {}),  # no token
            (http, {"csrf": "forged"}),
            (http, {"csrf": form_value(other_page, "csrf")}),  # another link's token
            (cookieless, {"csrf": form_value(page, "csrf")}),  # no cookie
        ]
        for client, fields in attempts:
            for url in (links["managePreferencesUrl"], links["unsubscribeAllUrl"]):
                response = client.post(url, data={**everything, **fields})
                assert response.status_code == 403
                assert response.headers["content-type"].startswith("text/html")
                assert "This form has expired" in response.text

    assert factory.ledger(tenant.portal, subscriber) == []


def test_the_unsubscribe_all_form_confirms(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber)
    page = http.get(links["unsubscribeAllUrl"]).text
    assert "Unsubscribe from all email?" in page

    done = http.post(links["unsubscribeAllUrl"], data={"csrf": form_value(page, "csrf")})

    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert set(states(factory, tenant, subscriber).values()) == {State.UNSUBSCRIBED}
    assert {e.source for e in factory.ledger(tenant.portal, subscriber)} == {"Preference page"}


def test_translations_follow_the_links_language(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    first, second, _ = tenant.definitions
    factory.translate(first, "pt", "Novidades", "Notícias do mês")
    factory.translate(second, "pt-br", "Ofertas", "Promoções")
    factory.translate(second, "pt", "Ofertas (PT)", "Promoções (PT)")

    brazilian = http.get(generate(http, tenant, email(), language="pt-BR")["managePreferencesUrl"])
    german = http.get(generate(http, tenant, email(), language="de")["managePreferencesUrl"])

    assert 'lang="pt">' in brazilian.text
    assert "Novidades" in brazilian.text
    assert "Notícias do mês" in brazilian.text
    assert "Ofertas" in brazilian.text
    assert "(PT)" not in brazilian.text  # the exact regional translation wins
    assert first.name in german.text  # no German translation: the default
    assert "Novidades" not in german.text


def test_branding_names_colours_and_logos_the_pages(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    factory.brand(
        tenant.portal, name="Acme <Shoes>", colour="#FFCC00", logo_url="https://cdn.example/l.png"
    )
    response = http.get(generate(http, tenant, email())["managePreferencesUrl"])

    assert "Acme &lt;Shoes&gt;" in response.text
    assert "--brand: #ffcc00; --on-brand: #111111;" in response.text
    assert 'src="https://cdn.example/l.png"' in response.text
    policy = response.headers["content-security-policy"]
    assert "img-src https://cdn.example;" in policy
    assert "script-src" not in policy
    assert "default-src 'none'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"


def test_an_unbranded_account_carries_the_portal_name(http: httpx.Client, tenant: Tenant) -> None:
    page = http.get(generate(http, tenant, email())["managePreferencesUrl"]).text
    assert f"<title>Email preferences · {tenant.portal.name}</title>" in page


def test_a_thousand_mutated_tokens_are_all_refused_with_a_friendly_page(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber, subscriptionId=tenant.definitions[0].id)
    base, token = links["managePreferencesUrl"].rsplit("/", 1)
    generator = random.Random(1000)  # noqa: S311 - seeded: reproducible mutations, not secrets
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%é "
    statuses: set[int] = set()
    for index in range(1000):
        chars = list(token)
        # One to three changed characters, at distinct places: a place changed twice could
        # change back.
        for position in generator.sample(range(len(chars)), 1 + index % 3):
            chars[position] = generator.choice(alphabet.replace(chars[position], ""))
        assert "".join(chars) != token
        mutated = quote("".join(chars), safe="")
        suffix, method = [("", "GET"), ("/unsubscribe-all", "POST"), ("/unsubscribe", "POST")][
            index % 3
        ]
        response = http.request(method, f"{base}/{mutated}{suffix}", data=ONE_CLICK)
        statuses.add(response.status_code)
        assert response.headers["content-type"].startswith("text/html"), mutated

    assert statuses == {404}
    assert factory.ledger(tenant.portal, subscriber) == []


def test_links_to_things_that_are_gone_are_friendly_4xx(http: httpx.Client, tenant: Tenant) -> None:
    links = generate(http, tenant, email())
    for url in (
        links["managePreferencesUrl"] + "/unsubscribe",  # the link names no subscription
        links["managePreferencesUrl"] + "/nothing/here",
        str(http.base_url).rstrip("/") + "/preferences/x",
    ):
        response = http.get(url)
        assert response.status_code == 404
        assert "<h1>" in response.text


def test_one_click_answers_for_links_made_under_either_prefix(
    http: httpx.Client, tenant: Tenant
) -> None:
    links = generate(http, tenant, email(), prefix=V4.replace("v4", "2026-03"))
    assert httpx.post(links["unsubscribeAllUrl"], data=ONE_CLICK).status_code == 200
