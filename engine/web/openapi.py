"""The OpenAPI 3.1 description of ``/api/v1``, built from one table of operations and ``engine.web.schemas``.

Every path parameter, query parameter, request body and answer is described by the same schema
object the server validates with (``engine.web.inputs``), so the document is complete by
construction: a test checks it against the routes, and schemathesis checks the server against it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.web import schemas

_PARAM = re.compile(r"{([a-z_]+)}")
_DESCRIPTIONS = {400: "Forespørselen kan ikke leses (ugyldig JSON, parameter eller tegn)", 401: "Ikke innlogget",
                 403: "Ingen tilgang", 404: "Finnes ikke (eller du kan ikke se den)",
                 409: "Konflikt: endret av noen andre, fullført allerede, eller i feil tilstand",
                 413: "For stor", 415: "Feil innholdstype", 422: "Innholdet bryter skjemaet eller reglene"}

_HEADERS = {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}}


@dataclass(frozen=True)
class Op:
    """One operation: where, what it answers (a key of ``schemas.RESPONSES``), what it reads, how it fails."""

    method: str
    path: str
    summary: str
    response: str | None
    ok: int = 200
    body: str | None = None
    query: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    multipart: str | None = None
    raw_file: bool = False
    description: str | None = None


OPERATIONS: tuple[Op, ...] = (
    Op("get", "/api/v1/openapi.json", "Dette dokumentet", "OpenAPI"),
    Op("post", "/api/v1/deployments", "Rull ut BPMN/DMN og skjemaer (JSON eller multipart)", "Deployed", 201,
       "Deployment", errors=(403, 413, 415), multipart="DeploymentUpload"),
    Op("post", "/api/v1/deployments/validate", "Valider uten å rulle ut", "Validation", body="Deployment",
       errors=(403,)),
    Op("get", "/api/v1/process-versions", "List prosessversjoner", "VersionList"),
    Op("get", "/api/v1/cases", "List saker du kan se", "CaseList", query=("case_status", "limit", "offset")),
    Op("post", "/api/v1/cases", "Opprett sak", "Case", 201, "OpenCase", errors=(403, 404)),
    Op("get", "/api/v1/cases/{case_id}", "Les en sak", "Case", query=("data",)),
    Op("get", "/api/v1/cases/{case_id}/events", "Sakens tidslinje", "EventList"),
    Op("post", "/api/v1/cases/{case_id}/messages", "Lever en BPMN-melding til saken (samme innhold som webhooken)",
       "Case", body="Message", errors=(403, 409), description=(
           "Innholdet (`data`) sjekkes mot meldingens JSON Schema i sakens prosessversjon "
           "(`forms/melding-<navn>.schema.json` eller egenskapen `messageJsonSchemaFilename` på hendelsen). "
           "Et ugyldig innhold gir 422 `message_invalid` med feil per felt (`data/dato`), og ingenting lagres. "
           "409: saken venter ikke på meldingen nå. `payload` leses fortsatt i stedet for `data`, men er foreldet "
           "(svaret har da `Deprecation: true`).")),
    Op("get", "/api/v1/cases/{case_id}/consent", "Sakens samtykke: hva som deles, med hvem, til når", "Consent"),
    Op("post", "/api/v1/cases/{case_id}/consent/withdraw", "Trekk tilbake samtykket (beboeren, eller på vegne av)",
       "Consent", errors=(403, 409)),
    Op("get", "/api/v1/cases/{case_id}/comments", "Sakens kommentarer (det du kan se; resten nevnt som holdt tilbake)",
       "CommentList", query=("task_id",)),
    Op("post", "/api/v1/cases/{case_id}/comments", "Skriv en kommentar, eventuelt på en oppgave, med @-omtaler",
       "Comment", 201, "NewComment", errors=(403,), description=(
           "`@brukernavn` i teksten nevner en kollega. Bare saksbehandlere som kan se saken og kommentaren slik "
           "den deles (`category`) kan nevnes; ellers 422 med navnet, og ingenting lagres.")),
    Op("patch", "/api/v1/comments/{comment_id}", "Endre din kommentar (forrige tekst tas vare på)", "Comment",
       body="CommentChange", errors=(403,)),
    Op("delete", "/api/v1/comments/{comment_id}", "Slett din kommentar (merkes slettet, tas vare på)", "Comment",
       errors=(403, 422)),
    Op("get", "/api/v1/cases/{case_id}/deadlines", "Sakens frister med endringshistorikk", "Deadlines"),
    Op("post", "/api/v1/cases/{case_id}/deadlines/{key}", "Flytt en frist (due_date, reason)", "DeadlineChange",
       body="MoveDeadline", errors=(403, 409)),
    Op("get", "/api/v1/timers", "Forfalte, oversittede og brutte tidtakere; puls fra arbeiderne", "Timers",
       query=("timer_state",), errors=(403, 422)),
    Op("get", "/api/v1/tasks", "Åpne oppgaver du kan utføre", "TaskList", query=("case_id",)),
    Op("get", "/api/v1/tasks/{task_id}", "Les en oppgave med skjema", "Task"),
    Op("post", "/api/v1/tasks/{task_id}/complete", "Fullfør en oppgave (409 om noen kom før deg)", "Case",
       body="CompleteTask", errors=(403, 409)),
    Op("put", "/api/v1/tasks/{task_id}/draft", "Lagre utkast", "Task", body="Draft", errors=(403, 409)),
    Op("get", "/api/v1/webhooks/subscriptions", "List webhook-abonnementer", "SubscriptionList", errors=(403,)),
    Op("post", "/api/v1/webhooks/subscriptions", "Registrer et webhook-abonnement (hemmelighet vises én gang)",
       "Subscription", 201, "NewSubscription", errors=(403,)),
    Op("patch", "/api/v1/webhooks/subscriptions/{sub_id}", "Endre abonnement", "Subscription",
       body="SubscriptionChange", errors=(403,)),
    Op("delete", "/api/v1/webhooks/subscriptions/{sub_id}", "Slett abonnement og køen dets", None, 204,
       errors=(403,)),
    Op("get", "/api/v1/webhooks/deliveries", "Utgående hendelser", "OutboxEventList",
       query=("outbox_state", "subscription_id", "case_id", "limit"), errors=(403,)),
    Op("post", "/api/v1/webhooks/deliveries/{event_id}/redeliver", "Send en død hendelse på nytt", "OutboxEvent",
       errors=(403, 409)),
    Op("get", "/api/v1/webhooks/inbound", "Innkommende hendelser", "InboundEventList",
       query=("inbound_state", "limit"), errors=(403,)),
    Op("post", "/api/v1/webhooks/inbound/{event_id}/assign", "Knytt en hendelse uten sak til en sak",
       "InboundEvent", body="AssignInbound", errors=(403, 409)),
    Op("get", "/api/v1/admin/stuck", "Fastlåste saker med årsak", "StuckList",
       query=("stuck_reason", "process_version_id", "bydel", "institution"), errors=(403, 422)),
    Op("get", "/api/v1/admin/system", "Systemstatus: puls, forsinkede tidtakere, utboks", "System", errors=(403,)),
    Op("post", "/api/v1/admin/cases/{case_id}/{action}", "Rett en sak; reason påkrevd", "Case", body="Repair",
       errors=(403, 409)),
    Op("get", "/api/v1/admin/versions", "Prosessversjoner med hash, utrullet, av hvem, løpende saker",
       "VersionList", errors=(403,)),
    Op("get", "/api/v1/admin/versions/{version_id}/files/{name}", "Den nøyaktige utrullede filen", None,
       query=("download",), errors=(403,), raw_file=True),
    Op("post", "/api/v1/admin/migrations", "Flytt løpende saker til en annen versjon (dry_run)", "MigrationReport",
       body="Migration", errors=(403, 404)),
    Op("post", "/api/v1/admin/users/{user_id}/revoke",
       "Avslutt alle økter for en bruker nå (reason påkrevd; deactivate sperrer også konto og API-nøkler)", "Revoked",
       body="Revoke", errors=(403,)),
)


def _error(status: int) -> dict[str, Any]:
    return {"description": _DESCRIPTIONS.get(status, "Feil"), "headers": _HEADERS,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(op: Op) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": "OK", "headers": _HEADERS}
    if op.raw_file:
        answer["content"] = {"application/xml": {"schema": {"type": "string"}}, "application/json": {"schema": {}}}
    elif op.response:
        answer["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.response}"}}}
    return answer


def parameters(op: Op) -> list[dict[str, Any]]:
    """Every ``{name}`` of the path (required) and every query parameter, with its schema."""
    out = [{"name": name, "in": "path", "required": True, "schema": schemas.PATH[name]}
           for name in _PARAM.findall(op.path)]
    for key in op.query:
        out.append({"name": schemas.QUERY_NAMES.get(key, key), "in": "query", "required": False,
                    "schema": schemas.QUERY[key]})
    return out


def operation(op: Op) -> dict[str, Any]:
    statuses = set(op.errors)
    if op.path != "/api/v1/openapi.json":
        statuses.add(401)
    if op.query or op.body or op.method != "get":
        statuses.add(400)
    if op.body:
        statuses |= {413, 415, 422}
    if _PARAM.search(op.path):
        statuses.add(404)
    doc: dict[str, Any] = {"summary": op.summary, "operationId": f"{op.method}_{op.path[8:]}",
                           "responses": {str(op.ok): _ok(op), **{str(s): _error(s) for s in sorted(statuses)}}}
    if op.path != "/api/v1/openapi.json":
        doc["security"] = [{"bearer": []}]
    if op.description:
        doc["description"] = op.description
    params = parameters(op)
    if params:
        doc["parameters"] = params
    if op.body:
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{op.body}"}}}
        if op.multipart:
            content["multipart/form-data"] = {"schema": {"$ref": f"#/components/schemas/{op.multipart}"}}
        doc["requestBody"] = {"required": True, "content": content}
    return doc


def query_names(method: str, path: str) -> set[str]:
    """The query parameters (wire names) an operation takes — what ``engine.web.inputs`` lets through."""
    for op in OPERATIONS:
        if op.method == method and op.path == path:
            return {schemas.QUERY_NAMES.get(k, k) for k in op.query}
    return set()


def build() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "tilbolig", "version": "1",
                 "description": "Fra institusjon til bolig: saker, oppgaver, frister og prosessversjoner. "
                                "Feil har formen {code, message, request_id}; oppgi request_id (også i "
                                "svarhodet X-Request-Id) når du melder en feil. Tekst er UTF-8; NUL-tegn og "
                                "enslige surrogater avvises (400/422), det samme gjør ukjente parametre, JSON "
                                f"nøstet dypere enn {schemas.MAX_DEPTH} nivåer, NaN/Infinity og datoer utenfor "
                                f"årene 1900–2100. Id-er over {schemas.MAX_ID} finnes ikke (404)."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "headers": {"RequestId": {"description": "Korrelasjons-id for forespørselen (også i loggen).",
                                      "required": True, "schema": {"type": "string"}}},
            "schemas": {**schemas.BODIES, **schemas.RESPONSES},
        },
        "paths": paths,
    }


OPENAPI: dict[str, Any] = build()
