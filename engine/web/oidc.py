"""OpenID Connect sign-in (authorization code flow with PKCE): staff through their employer's
provider (Entra ID, Keycloak, …), residents through ID-porten.

Configured by environment (``TILBOLIG_OIDC_STAFF_*``, ``TILBOLIG_OIDC_RESIDENT_*``, see
``engine.config``); a kind with no issuer or client id is simply not offered.  Every step is
checked here, in the open, rather than trusted to a library default:

* **state** — random per attempt, kept in the signed session, compared in constant time (CSRF on
  the callback);
* **PKCE** — S256 challenge, the verifier only ever sent to the token endpoint (a stolen code is
  useless);
* **issuer** — the discovery document must name the configured issuer, the authorization
  response's ``iss`` (RFC 9207) must match it (mix-up attacks), and so must the ID token's ``iss``;
* **ID token** — signature against the provider's JWKS (asymmetric algorithms only), ``aud``,
  ``azp``, ``exp``/``iat`` and the **nonce** (Authlib's ``CodeIDToken``, JOSE by joserfc);
* **acr** — residents must have signed in at ``idporten-loa-high`` (health data).

Refusals carry the reason (logged by the views in ``engine.web.login``) and a short Norwegian
message for the person.  No views here, so the sign-in pages can use this module without a cycle.
"""
from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from flask import current_app, session, url_for
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from engine.access.identities import SignInRefused
from engine.web.i18n import _

#: URL name of a kind -> config prefix.
KINDS = {"ansatt": "OIDC_STAFF", "idporten": "OIDC_RESIDENT"}
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
CLAIM_SETTINGS = ("USERNAME_CLAIM", "ORG_CLAIM", "ORG_MAP", "ROLES_CLAIM", "ROLE_MAP", "PID_CLAIM")
PENDING_SECONDS = 600
CACHE_SECONDS = 3600
_cache: dict[str, tuple[float, Any]] = {}


@dataclass(frozen=True)
class Provider:
    kind: str
    prefix: str
    issuer: str
    discovery_url: str
    client_id: str
    client_secret: str
    scope: str
    acr: str
    label: str
    token_auth: str
    claims: dict[str, Any]   # which claims mean what: USERNAME_CLAIM, ORG_CLAIM/MAP, ROLES_CLAIM/MAP, PID_CLAIM


def provider(kind: str) -> Provider | None:
    """The configured provider for ``ansatt`` or ``idporten``; ``None`` if not set up."""
    prefix = KINDS.get(kind)
    if prefix is None:
        return None
    c = current_app.config
    issuer, client_id = (c.get(f"{prefix}_ISSUER") or "").strip(), (c.get(f"{prefix}_CLIENT_ID") or "").strip()
    if not issuer or not client_id:
        return None
    discovery = c.get(f"{prefix}_DISCOVERY_URL") or issuer.rstrip("/") + "/.well-known/openid-configuration"
    return Provider(kind=kind, prefix=prefix, issuer=issuer, discovery_url=discovery, client_id=client_id,
                    client_secret=c.get(f"{prefix}_CLIENT_SECRET") or "", scope=c.get(f"{prefix}_SCOPE") or "openid",
                    acr=c.get(f"{prefix}_ACR") or "", label=_(c.get(f"{prefix}_LABEL") or kind),
                    token_auth=c.get(f"{prefix}_TOKEN_AUTH") or "client_secret_basic",
                    claims={k: c.get(f"{prefix}_{k}") for k in CLAIM_SETTINGS})


def enabled() -> list[Provider]:
    """The sign-in buttons to show, staff first."""
    return [p for p in (provider(k) for k in KINDS) if p is not None]


# ---------------------------------------------------------------------------------------------
# the protocol
# ---------------------------------------------------------------------------------------------

def _get_json(url: str) -> Any:
    timeout = float(current_app.config["OIDC_HTTP_TIMEOUT"])
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInRefused(f"could not read {url}: {exc}",
                          _("Innloggingstjenesten svarer ikke nå. Prøv igjen om litt.")) from exc


def _cached(url: str, refresh: bool = False) -> Any:
    hit = _cache.get(url)
    if hit is not None and not refresh and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = _get_json(url)
    _cache[url] = (time.monotonic(), value)
    return value


def metadata(p: Provider) -> dict[str, Any]:
    """The provider's discovery document, which must be about the configured issuer."""
    meta = _cached(p.discovery_url)
    if not isinstance(meta, dict) or meta.get("issuer") != p.issuer:
        _cache.pop(p.discovery_url, None)
        raise SignInRefused(f"discovery issuer {meta.get('issuer') if isinstance(meta, dict) else None!r} "
                          f"is not the configured {p.issuer!r}")
    return meta


def authorization_url(p: Provider, next_path: str | None) -> str:
    """Start a sign-in: remember state, nonce and PKCE verifier in the session; where to send the browser."""
    meta = metadata(p)
    state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
    session["oidc"] = {"kind": p.kind, "state": state, "nonce": nonce, "verifier": verifier,
                       "next": next_path, "at": time.time()}
    params = {"response_type": "code", "client_id": p.client_id, "redirect_uri": _redirect_uri(p),
              "scope": p.scope, "state": state, "nonce": nonce, "ui_locales": "nb",
              "code_challenge": create_s256_code_challenge(verifier), "code_challenge_method": "S256"}
    if p.acr:
        params["acr_values"] = p.acr
    endpoint = meta["authorization_endpoint"]
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def _redirect_uri(p: Provider) -> str:
    return url_for("pages.oidc_callback", kind=p.kind, _external=True)


def complete(p: Provider, args: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    """Check the authorization response, redeem the code, verify the ID token; its claims and the
    path to go on to.  Raises :class:`SignInRefused` on anything wrong."""
    pending = session.pop("oidc", None)
    if not isinstance(pending, dict) or pending.get("kind") != p.kind:
        raise SignInRefused("no sign-in in progress for this browser")
    if time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        raise SignInRefused("sign-in took too long", _("Innloggingen tok for lang tid. Prøv igjen."))
    if args.get("error"):
        raise SignInRefused(f"provider answered error={args.get('error')!r}", _("Innloggingen ble avbrutt."))
    if not hmac.compare_digest(str(args.get("state") or ""), str(pending["state"])):
        raise SignInRefused("state does not match")
    meta = metadata(p)
    iss = args.get("iss")
    if iss is None and meta.get("authorization_response_iss_parameter_supported"):
        raise SignInRefused("authorization response without iss")
    if iss is not None and iss != p.issuer:
        raise SignInRefused(f"authorization response from issuer {iss!r}, expected {p.issuer!r}")
    if not args.get("code"):
        raise SignInRefused("authorization response without code")
    tokens = _redeem(p, meta, args["code"], pending["verifier"])
    claims = verify_id_token(p, meta, tokens.get("id_token"), pending["nonce"], tokens.get("access_token"))
    if p.acr and claims.get("acr") != p.acr:
        raise SignInRefused(f"acr {claims.get('acr')!r}, required {p.acr!r}",
                          _("Du må logge inn med et høyere sikkerhetsnivå (for eksempel BankID) for å se "
                            "helseopplysninger."))
    return claims, pending.get("next")


def _redeem(p: Provider, meta: dict[str, Any], code: str, verifier: str) -> dict[str, Any]:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": _redirect_uri(p),
            "code_verifier": verifier}
    auth = None
    if p.token_auth == "client_secret_post":
        data.update(client_id=p.client_id, client_secret=p.client_secret)
    else:   # RFC 6749 2.3.1: id and secret are form-encoded before Basic
        auth = (quote(p.client_id, safe=""), quote(p.client_secret, safe=""))
    try:
        response = httpx.post(meta["token_endpoint"], data=data, auth=auth,
                              timeout=float(current_app.config["OIDC_HTTP_TIMEOUT"]),
                              headers={"Accept": "application/json"})
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInRefused(f"token endpoint: {exc}",
                          _("Innloggingstjenesten svarer ikke nå. Prøv igjen om litt.")) from exc
    if response.status_code != 200 or not isinstance(body, dict):
        raise SignInRefused(f"token endpoint answered {response.status_code}: "
                          f"{body.get('error') if isinstance(body, dict) else body!r}")
    return body


def verify_id_token(p: Provider, meta: dict[str, Any], raw: Any, nonce: str,
                    access_token: str | None) -> dict[str, Any]:
    """Signature (provider's JWKS, asymmetric only), iss, aud, azp, exp, iat, nonce, at_hash."""
    if not isinstance(raw, str) or not raw:
        raise SignInRefused("token response without id_token")
    token = None
    for refresh in (False, True):   # a key we do not know yet: the provider may have rotated keys
        try:
            keys = KeySet.import_key_set(_cached(meta["jwks_uri"], refresh=refresh))
            token = jwt.decode(raw, keys, algorithms=ALGORITHMS)
            break
        except (JoseError, ValueError) as exc:
            if refresh:
                raise SignInRefused(f"id_token signature: {exc!r}") from exc
    if token is None:   # unreachable: the loop either decoded or raised; says so to the type checker
        raise SignInRefused("id_token not decoded")
    claims = CodeIDToken(token.claims, token.header,
                         options={"iss": {"essential": True, "value": p.issuer},
                                  "aud": {"essential": True, "value": p.client_id}},
                         params={"nonce": nonce, "client_id": p.client_id, "access_token": access_token})
    try:
        claims.validate(leeway=60)
    except JoseError as exc:
        raise SignInRefused(f"id_token claims: {exc!r}") from exc
    return dict(claims)
