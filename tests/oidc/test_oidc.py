"""OpenID Connect sign-in against a real provider (``oidc-provider`` on 127.0.0.1), over real HTTP:
what goes through, and that a wrong state, nonce, issuer, acr or PKCE challenge is refused."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from engine.extensions import db
from engine.store.auth import UserIdentity, UserSession
from engine.store.models import User
from tests.oidc.conftest import PID, sign_in_over_http, with_query


def _signed_in_as(client, live_server) -> str | None:
    """Display name in the page header, or None when the app sends us to the login page."""
    r = client.get(f"{live_server}/saker")
    if r.status_code != 200:
        return None
    return r.text.split('<div class="who">')[1].split("</span>")[0].split("<span>")[1].strip()


def _no_session_for(username_like: str) -> bool:
    db.session.expire_all()
    return not db.session.scalars(sa.select(UserSession).join(User).where(User.username.like(username_like))).all()


def test_the_authorization_request_carries_state_nonce_pkce_and_for_residents_the_acr(oidc, live_server):
    import httpx
    client = httpx.Client(follow_redirects=False)
    staff = parse_qs(urlsplit(client.get(f"{live_server}/logg-inn/ansatt").headers["location"]).query)
    assert staff["code_challenge_method"] == ["S256"] and len(staff["code_challenge"][0]) == 43
    assert len(staff["state"][0]) >= 43 and len(staff["nonce"][0]) >= 43 and staff["response_type"] == ["code"]
    assert staff["redirect_uri"] == [f"{live_server}/logg-inn/ansatt/svar"] and "acr_values" not in staff
    resident = parse_qs(urlsplit(client.get(f"{live_server}/logg-inn/idporten").headers["location"]).query)
    assert resident["acr_values"] == ["idporten-loa-high"] and resident["state"] != staff["state"]


def test_staff_sign_in_creates_the_account_with_organisation_and_roles_from_the_claims(oidc, live_server):
    r, client, _ = sign_in_over_http(live_server, "ansatt", "kari.idp")
    assert r.status_code == 302 and r.headers["location"] == "/innboks"
    assert _signed_in_as(client, live_server) == "Kari Entra (Gamle Oslo)"
    user = db.session.scalar(sa.select(User).where(User.username == "kari.idp"))
    assert user.organisation.slug == "gamle-oslo" and user.role_set == {"saksbehandler"} and user.password_hash is None
    identity = db.session.scalar(sa.select(UserIdentity).where(UserIdentity.user_id == user.id))
    assert identity.provider == oidc.issuer and identity.subject == "kari.idp"
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert row.method == "oidc:ansatt" and row.ended_at is None
    # Roles as a space-separated string (Keycloak style) and the organisation as a list.
    r, client, _ = sign_in_over_http(live_server, "ansatt", "leder.idp")
    assert r.status_code == 302
    assert db.session.scalar(sa.select(User).where(User.username == "leder.idp")).role_set == {"saksbehandler", "leder"}


def test_a_provider_username_never_takes_over_a_local_account(oidc, live_server, users):
    r, client, _ = sign_in_over_http(live_server, "ansatt", "admin")
    assert r.status_code == 302 and _signed_in_as(client, live_server) == "Noen som heter admin"
    db.session.expire_all()
    local = db.session.scalar(sa.select(User).where(User.username == "admin"))
    assert local.role_set == {"administrator"} and local.display_name.startswith("Arne Drift")
    assert db.session.scalar(sa.select(User).where(User.username == "admin-2")).role_set == {"saksbehandler"}


def test_staff_without_a_mapped_role_is_refused(oidc, refusals, live_server):
    r, client, _ = sign_in_over_http(live_server, "ansatt", "uten.rolle")
    assert r.status_code == 403 and "Du har ingen rolle i tjenesten" in r.text
    assert _signed_in_as(client, live_server) is None
    assert "has no role in claim 'roles'" in refusals()[-1]


def test_resident_sign_in_finds_the_resident_linked_to_the_pid(oidc, live_server, users):
    from engine.access.identities import link_pid
    link_pid(users["beboer.test"], PID)
    r, client, _ = sign_in_over_http(live_server, "idporten", "tore")
    assert r.status_code == 302 and r.headers["location"] == "/min-side"
    assert client.get(f"{live_server}/min-side").status_code == 200
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == users["beboer.test"].id))
    assert row.method == "oidc:idporten" and row.acr == "idporten-loa-high"


def test_resident_below_idporten_loa_high_is_refused(oidc, refusals, live_server, users):
    from engine.access.identities import link_pid
    link_pid(users["beboer.test"], PID)
    r, client, _ = sign_in_over_http(live_server, "idporten", "tore.lav")
    assert r.status_code == 403 and "høyere sikkerhetsnivå" in r.text
    assert client.get(f"{live_server}/min-side").status_code == 302 and _no_session_for("beboer.test")
    assert "acr 'idporten-loa-substantial', required 'idporten-loa-high'" in refusals()[-1]


def test_a_pid_linked_to_nobody_is_refused(oidc, refusals, live_server):
    r, client, _ = sign_in_over_http(live_server, "idporten", "ukjent.beboer")
    assert r.status_code == 403 and "Vi finner deg ikke i tjenesten" in r.text
    assert "no active resident linked to this pid" in refusals()[-1]


def test_wrong_state_is_refused(oidc, refusals, live_server):
    r, client, _ = sign_in_over_http(live_server, "ansatt", "kari.idp",
                                     tamper_response=lambda url: with_query(url, state="x" * 43))
    assert r.status_code == 403 and "Innloggingen kunne ikke fullføres" in r.text
    assert _signed_in_as(client, live_server) is None and _no_session_for("kari.idp%")
    assert refusals()[-1].endswith("state does not match")


def test_a_callback_used_twice_or_in_another_browser_is_refused(oidc, refusals, live_server):
    import httpx
    r, client, callback = sign_in_over_http(live_server, "ansatt", "kari.idp")
    assert r.status_code == 302
    assert client.get(callback).status_code == 403          # the attempt is used up
    assert httpx.get(callback).status_code == 403           # another browser never started it
    assert [m.split(': ', 1)[1] for m in refusals()] == ["no sign-in in progress for this browser"] * 2


def test_wrong_nonce_is_refused(oidc, refusals, live_server):
    # The provider echoes whatever nonce it was sent: an ID token minted for another request.
    r, client, _ = sign_in_over_http(live_server, "ansatt", "kari.idp",
                                     tamper_request=lambda url: with_query(url, nonce="n" * 43))
    assert r.status_code == 403 and _signed_in_as(client, live_server) is None and _no_session_for("kari.idp%")
    assert "Invalid claim: 'nonce'" in refusals()[-1]


def test_a_code_bound_to_another_pkce_challenge_is_refused(oidc, refusals, live_server):
    r, client, _ = sign_in_over_http(live_server, "ansatt", "kari.idp",
                                     tamper_request=lambda url: with_query(url, code_challenge="c" * 43))
    assert r.status_code == 403 and _signed_in_as(client, live_server) is None
    assert "token endpoint answered 400: 'invalid_grant'" in refusals()[-1]


def test_an_answer_from_another_issuer_is_refused(oidc, refusals, live_server, other_oidc_provider):
    # Mix-up: the browser is sent to a second provider that knows the same client; its answer names
    # itself in ``iss`` (RFC 9207) and is refused before any code is redeemed.
    r, client, callback = sign_in_over_http(
        live_server, "ansatt", "kari.idp",
        tamper_request=lambda url: url.replace(oidc.issuer, other_oidc_provider))
    assert parse_qs(urlsplit(callback).query)["iss"] == [other_oidc_provider]
    assert r.status_code == 403 and _signed_in_as(client, live_server) is None and _no_session_for("kari.idp%")
    assert f"authorization response from issuer '{other_oidc_provider}'" in refusals()[-1]


def test_a_discovery_document_for_another_issuer_is_refused(oidc, refusals, live_server):
    import httpx
    oidc(OIDC_STAFF_ISSUER="https://login.example.invalid/tenant",
         OIDC_STAFF_DISCOVERY_URL=oidc.issuer + "/.well-known/openid-configuration")
    r = httpx.get(f"{live_server}/logg-inn/ansatt")
    assert r.status_code == 503 and "location" not in r.headers
    assert "is not the configured 'https://login.example.invalid/tenant'" in refusals()[-1]


def test_password_login_can_be_turned_off_and_the_buttons_stay(oidc, app, live_server):
    import httpx
    client = httpx.Client()
    token = client.get(f"{live_server}/logg-inn").text.split('name="csrf_token" value="')[1].split('"')[0]
    oidc(PASSWORD_LOGIN_ENABLED=False)
    page = client.get(f"{live_server}/logg-inn").text
    assert 'name="password"' not in page and "Logg inn som ansatt" in page and "Logg inn med ID-porten" in page
    r = client.post(f"{live_server}/logg-inn", data={"username": "admin", "password": "test-passord",
                                                     "csrf_token": token})
    assert r.status_code == 403 and "Innlogging med passord er slått av" in r.text and _no_session_for("admin")
