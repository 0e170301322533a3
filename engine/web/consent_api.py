"""``/api/v1`` routes for a case's consent — thin: read it, or withdraw it (issue #13).

What the consent *does* to every other read is decided in ``engine.access.consent``; these two
routes only show the consent itself and let the resident (or a caseworker on their behalf) end it.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from engine import cases
from engine.access import consent
from engine.cases import consent as consent_changes
from engine.web import withheld
from engine.web.auth import require_actor

bp = Blueprint("consent_api", __name__, url_prefix="/api/v1")


@bp.get("/cases/<int:case_id>/consent")
def get_consent(case_id: int):
    actor = require_actor()
    case = cases.get_case(actor, case_id, "read_consent")
    grant = consent.current(case.id)
    return jsonify(withheld.grant_json(grant, consent.state_of(grant)))


@bp.post("/cases/<int:case_id>/consent/withdraw")
def withdraw_consent(case_id: int):
    actor = require_actor()
    case = consent_changes.withdraw(actor, case_id)
    grant = consent.current(case.id)
    return jsonify(withheld.grant_json(grant, consent.state_of(grant)))
