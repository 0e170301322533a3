"""The OpenAPI 3.1 description of ``/api/v1`` (kept by hand, checked by a test against the routes)."""
from __future__ import annotations

_ERR = {"$ref": "#/components/responses/Error"}


def _op(summary: str, ok: str = "200", body: bool = False, extra: tuple[str, ...] = ()) -> dict:
    op: dict = {"summary": summary, "security": [{"bearer": []}],
                "responses": {ok: {"description": "OK", "content": {"application/json": {}}},
                              "401": _ERR, **dict.fromkeys(extra, _ERR)}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    return op


def _message_op() -> dict:
    """The message endpoint: the same body as the inbound webhook, with its own schema and 422."""
    op = _op("Lever en BPMN-melding til saken (samme innhold som webhooken)", extra=("404", "409", "422"))
    op["description"] = (
        "Innholdet (`data`) sjekkes mot meldingens JSON Schema i sakens prosessversjon "
        "(`forms/melding-<navn>.schema.json` eller egenskapen `messageJsonSchemaFilename` på hendelsen). "
        "Et ugyldig innhold gir 422 `message_invalid` med feil per felt (`data/dato`), og ingenting lagres. "
        "409: saken venter ikke på meldingen nå. `payload` leses fortsatt i stedet for `data`, men er foreldet "
        "(svaret har da `Deprecation: true`).")
    op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}}
    op["responses"]["422"] = {"description": "Ugyldig melding; ingenting er lagret", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Error"},
        "example": {"code": "message_invalid", "message": "Meldingen «bolig_tilbudt» kan ikke tas imot: innholdet har feil.",
                    "details": {"data/dato": ["Må være en dato (ÅÅÅÅ-MM-DD)."]}}}}}
    return op


MESSAGE_SCHEMA: dict = {
    "type": "object", "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,99}$",
                 "description": "BPMN-meldingens navn, f.eks. bolig_tilbudt eller opphold_avsluttet"},
        "data": {"type": "object", "description": "Meldingens innhold; sjekkes mot meldingens JSON Schema"},
        "payload": {"type": "object", "deprecated": True, "description": "Gammelt navn på data"},
    },
    "example": {"name": "bolig_tilbudt", "data": {"dato": "2026-05-01", "bolig": "Kommunal leilighet, Tøyen"}},
}

OPENAPI: dict = {
    "openapi": "3.1.0",
    "info": {"title": "tilbolig", "version": "1",
             "description": "Fra institusjon til bolig: saker, oppgaver, frister og prosessversjoner."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": {"type": "object", "required": ["code", "message"],
                              "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                             "details": {}}},
                    "Message": MESSAGE_SCHEMA},
        "responses": {"Error": {"description": "Feil",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
    },
    "paths": {
        "/api/v1/deployments": {"post": _op("Rull ut BPMN/DMN og skjemaer", "201", True, ("403", "413", "422"))},
        "/api/v1/deployments/validate": {"post": _op("Valider uten å rulle ut", body=True, extra=("403",))},
        "/api/v1/process-versions": {"get": _op("List prosessversjoner")},
        "/api/v1/cases": {"get": _op("List saker du kan se"),
                          "post": _op("Opprett sak", "201", True, ("403", "404", "422"))},
        "/api/v1/cases/{case_id}": {"get": _op("Les en sak", extra=("404",))},
        "/api/v1/cases/{case_id}/events": {"get": _op("Sakens tidslinje", extra=("404",))},
        "/api/v1/cases/{case_id}/messages": {"post": _message_op()},
        "/api/v1/cases/{case_id}/consent": {"get": _op("Sakens samtykke: hva som deles, med hvem, til når", extra=("404",))},
        "/api/v1/cases/{case_id}/consent/withdraw": {"post": _op("Trekk tilbake samtykket (beboeren, eller på vegne av)",
                                                                 extra=("403", "404", "409"))},
        "/api/v1/cases/{case_id}/deadlines": {"get": _op("Sakens frister med endringshistorikk", extra=("404",))},
        "/api/v1/cases/{case_id}/deadlines/{key}": {"post": _op("Flytt en frist (due_date, reason)", body=True,
                                                                extra=("403", "404", "409", "422"))},
        "/api/v1/timers": {"get": _op("Forfalte, oversittede og brutte tidtakere; puls fra arbeiderne",
                                      extra=("403", "422"))},
        "/api/v1/tasks": {"get": _op("Åpne oppgaver du kan utføre")},
        "/api/v1/tasks/{task_id}": {"get": _op("Les en oppgave med skjema", extra=("404",))},
        "/api/v1/tasks/{task_id}/complete": {"post": _op("Fullfør en oppgave", body=True,
                                                         extra=("403", "404", "409", "422"))},
        "/api/v1/tasks/{task_id}/draft": {"put": _op("Lagre utkast", body=True, extra=("403", "404"))},
        # webhooks (administrators only)
        "/api/v1/webhooks/subscriptions": {"get": _op("List webhook-abonnementer", extra=("403",)),
                                           "post": _op("Registrer et webhook-abonnement (hemmelighet vises én gang)",
                                                       "201", True, ("403", "422"))},
        "/api/v1/webhooks/subscriptions/{sub_id}": {
            "patch": _op("Endre abonnement (url, event_types, active, description, rotate_secret)", body=True,
                         extra=("403", "404", "422")),
            "delete": _op("Slett abonnement og køen dets", "204", extra=("403", "404"))},
        "/api/v1/webhooks/deliveries": {"get": _op("Utgående hendelser (?state=dead|pending|delivered|all)",
                                                   extra=("400", "403"))},
        "/api/v1/webhooks/deliveries/{event_id}/redeliver": {"post": _op("Send en død hendelse på nytt",
                                                                         extra=("403", "404", "409"))},
        "/api/v1/webhooks/inbound": {"get": _op("Innkommende hendelser (?state=unmatched|held|delivered|failed|all)",
                                                extra=("400", "403"))},
        "/api/v1/webhooks/inbound/{event_id}/assign": {"post": _op("Knytt en hendelse uten sak til en sak", body=True,
                                                                   extra=("403", "404", "409", "422"))},
        "/api/v1/admin/stuck": {"get": _op("Fastlåste saker med årsak (?reason, process_version_id, bydel, "
                                           "institution)", extra=("403", "422"))},
        "/api/v1/admin/system": {"get": _op("Systemstatus: puls, forsinkede tidtakere, utboks", extra=("403",))},
        "/api/v1/admin/cases/{case_id}/{action}": {"post": _op(
            "Rett en sak (retry, edit_data, fire_timer, reschedule_timer, suspend, resume, terminate, "
            "move_token); reason påkrevd", body=True, extra=("403", "404", "409", "422"))},
        "/api/v1/admin/versions": {"get": _op("Prosessversjoner med hash, utrullet, av hvem, løpende saker",
                                              extra=("403",))},
        "/api/v1/admin/versions/{version_id}/files/{name}": {"get": _op("Den nøyaktige utrullede filen",
                                                                        extra=("403", "404"))},
        "/api/v1/admin/migrations": {"post": _op("Flytt løpende saker til en annen versjon (dry_run)", body=True,
                                                 extra=("403", "404", "422"))},
        "/api/v1/admin/users/{user_id}/revoke": {"post": _op(
            "Avslutt alle økter for en bruker nå (reason påkrevd; deactivate sperrer også konto og API-nøkler)",
            body=True, extra=("400", "403", "404"))},
    },
}
