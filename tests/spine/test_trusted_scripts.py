"""Scripts from trusted process owners (#18): the demo process owner deploys the routine (it has
script tasks); an untrusted owner is refused, naming the script element; an administrator grants and
revokes the trust from the command line, on the record."""
from __future__ import annotations

import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import AuditEvent, ProcessVersion, User
from tests.process.case import deployment_files


def _routine() -> dict[str, str]:
    """The BPMN files only: the forms they name are taken from the forms folder."""
    return {n: d.decode("utf-8") for n, d in deployment_files().items() if n.endswith(".bpmn")}


def test_demo_process_owner_deploys_the_routine_with_its_scripts(api, ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "ALLOW_SCRIPTS_FROM_PROCESS_OWNERS", False)
    r = api("prosesseier").post("/api/v1/deployments", json={"files": _routine()})
    assert r.status_code == 201, r.json
    keys = {v["process_key"] for v in r.json["versions"]}
    assert "institusjon_til_bolig" in keys and db.session.scalar(sa.select(sa.func.count(ProcessVersion.id))) == 7


def test_untrusted_owner_is_refused_then_trusted_by_an_administrator(api, ctx, users, monkeypatch):
    monkeypatch.setitem(ctx.config, "ALLOW_SCRIPTS_FROM_PROCESS_OWNERS", False)
    owner = db.session.get(User, users["prosesseier"].id)
    owner.roles = "prosesseier"
    db.session.commit()
    r = api("prosesseier").post("/api/v1/deployments", json={"files": _routine()})
    assert r.status_code == 422
    refusal = r.json["details"][0]
    assert "skript" in refusal["message"] and "skriptbetrodd" in refusal["message"]
    assert refusal["element_id"] and refusal["line"] and refusal["file"].endswith(".bpmn")

    runner = ctx.test_cli_runner()
    result = runner.invoke(args=["users", "trust-scripts", "prosesseier", "--reason", "eier rutinen"])
    assert result.exit_code == 0 and "kan nå" in result.output, result.output
    assert api("prosesseier").post("/api/v1/deployments", json={"files": _routine()}).status_code == 201
    runner.invoke(args=["users", "trust-scripts", "prosesseier", "--reason", "sluttet", "--revoke"])
    db.session.expire_all()
    assert "skriptbetrodd" not in db.session.get(User, owner.id).role_set
    types = list(db.session.scalars(sa.select(AuditEvent.type).where(AuditEvent.type.like("user.scripts%"))
                                    .order_by(AuditEvent.id)))
    assert types == ["user.scripts_trusted", "user.scripts_untrusted"]
