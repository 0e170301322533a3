"""The JSON Schemas of ``/api/v1`` — defined once, used twice.

``engine.web.inputs`` validates every request body, query parameter and path parameter against
these; ``engine.web.openapi`` publishes the very same objects in ``/api/v1/openapi.json``.  So the
document cannot drift from what the server accepts, and a client (or schemathesis) that follows
the document is never surprised.

Every bound here is there because something broke without it (issue #13): ids past the INTEGER columns made
SQLite and PostgreSQL raise, ``limit=-1`` lifted the row cap, years like 9999 overflowed the
deadline arithmetic, strings longer than their column failed on PostgreSQL.
"""
from __future__ import annotations

from typing import Any

from engine.collab.sharing import CHOICES as COMMENT_CATEGORIES
from engine.forms import FIRST_YEAR, LAST_YEAR
from engine.ops.guard import ACTIONS as REPAIR_ACTIONS
from engine.store.status import ALL
from webhooks.outbound import PUBLIC_TYPES

#: The largest id the id columns hold: they are INTEGER, 4 bytes on PostgreSQL (SQLite takes 8).
#: A larger id is simply not found (404) — 2^31 failed inside PostgreSQL and 2^63 inside SQLite.
MAX_ID = 2**31 - 1
#: How deep a JSON body may nest (forms nest a few levels; thousands crashed the parser).
MAX_DEPTH = 32
#: The longest free text in a body unless its schema says less (a deployed file may say more).
MAX_TEXT = 100_000
#: Rows per page: the default and the most a client may ask for.
DEFAULT_LIMIT, MAX_LIMIT = 100, 500
MAX_OFFSET = 1_000_000
#: Calendar years a date may have (``engine.forms``: no 9999, the deadline arithmetic overflows there).
_YEAR = "(19[0-9]{2}|20[0-9]{2}|2100)"
assert (FIRST_YEAR, LAST_YEAR) == (1900, 2100), "keep _YEAR in step with engine.forms"
DATE_PATTERN = f"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DATETIME_PATTERN = (f"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
                    r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")


def text(max_length: int, min_length: int = 0, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, **extra}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


ID: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
SLUG = text(64, 1, pattern="^[a-z0-9][a-z0-9_-]*$")
ORG = {"anyOf": [ID, SLUG], "description": "Organisasjonens id eller kortnavn (slug)."}
DATE = text(10, 10, pattern=DATE_PATTERN, format="date")
DATETIME = text(40, 16, pattern=DATETIME_PATTERN, format="date-time")
REASON = text(2000, 1, pattern=r"\S", description="Hvorfor (kreves, lagres i revisjonssporet).")
FORM_DATA = {"type": "object", "maxProperties": 500, "description": "Skjemadata; valideres mot oppgavens skjema."}
_MESSAGE_NAME = text(100, 1, pattern="^[a-z][a-z0-9_]{0,99}$",
                     description="BPMN-meldingens navn, f.eks. bolig_tilbudt eller opphold_avsluttet")
TASK_ID = text(36, 1, pattern="^[A-Za-z0-9_-]+$", description="Oppgavens id (SpiffWorkflow-UUID).")

# -- path parameters: every ``{name}`` in a path, by name -----------------------------------------

PATH: dict[str, dict[str, Any]] = {
    "case_id": ID,
    "version_id": ID,
    "sub_id": ID,
    "event_id": ID,
    "user_id": ID,
    "comment_id": ID,
    "task_id": TASK_ID,
    "key": text(100, 1, pattern="^[A-Za-z0-9_-]+$", description="Fristnøkkel eller tidtakerens oppgave-id."),
    "action": {"type": "string", "enum": list(REPAIR_ACTIONS)},
    "name": text(200, 1, pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$", description="Filnavn i utrullingen."),
}

# -- query parameters ------------------------------------------------------------------------------

QUERY: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    "offset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
    "case_status": {"type": "string", "enum": list(ALL)},
    "case_id": ID,
    "subscription_id": ID,
    "process_version_id": ID,
    "data": {"type": "string", "enum": ["0", "1"], "description": "1: ta med sakens data."},
    "download": {"type": "string", "enum": ["0", "1"]},
    "timer_state": {"type": "string", "enum": ["due", "overdue", "broken", "waiting"], "default": "due"},
    "outbox_state": {"type": "string", "enum": ["pending", "delivered", "dead", "all"], "default": "dead"},
    "inbound_state": {"type": "string", "enum": ["held", "delivered", "unmatched", "failed", "all"],
                      "default": "unmatched"},
    "stuck_reason": {"type": "string", "enum": ["error", "overdue", "idle", "broken_timer", "message_wait"]},
    "bydel": SLUG,
    "institution": SLUG,
    "task_id": TASK_ID,
}
#: Query parameters whose name on the wire differs from their key above.
QUERY_NAMES = {"case_status": "status", "timer_state": "state", "outbox_state": "state", "inbound_state": "state",
               "stuck_reason": "reason"}

# -- request bodies --------------------------------------------------------------------------------

_FILES = {"type": "object", "minProperties": 1, "maxProperties": 50,
          "propertyNames": {"maxLength": 200, "pattern": r"^[^/\\]+$"},
          "additionalProperties": text(5_000_000), "description": "Filnavn → innhold (BPMN, DMN, JSON-skjema)."}

BODIES: dict[str, dict[str, Any]] = {
    "Deployment": {"type": "object", "required": ["files"], "additionalProperties": False,
                   "properties": {"files": _FILES}},
    "DeploymentUpload": {"type": "object", "required": ["files"],
                         "properties": {"files": {"type": "array", "minItems": 1, "maxItems": 50,
                                                  "items": {"type": "string", "format": "binary"}}}},
    "OpenCase": {"type": "object", "required": ["process_key", "bydel", "institution", "resident"],
                 "additionalProperties": False,
                 "properties": {"process_key": text(200, 1, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$"),
                                "bydel": ORG, "institution": ORG,
                                "resident": {"type": "object", "required": ["name"], "additionalProperties": False,
                                             "properties": {"name": text(200, 1, pattern=r"\S"),
                                                            "username": nullable(text(80, 1))}},
                                "data": FORM_DATA, "external_ref": nullable(text(200, 1))}},
    "CompleteTask": {"type": "object", "additionalProperties": False,
                     "properties": {"data": FORM_DATA,
                                    "version": nullable({"type": "integer", "minimum": 0, "maximum": MAX_ID})}},
    "Draft": {"type": "object", "additionalProperties": False, "properties": {"data": FORM_DATA}},
    # The API's message body, read on by ``webhooks.inbound.read_message``; ``payload`` is the old name of ``data``.
    "Message": {"type": "object", "required": ["name"], "additionalProperties": False,
                "properties": {"name": _MESSAGE_NAME,
                               "data": {**FORM_DATA, "description": "Meldingens innhold; sjekkes mot meldingens JSON Schema"},
                               "payload": {**FORM_DATA, "deprecated": True, "description": "Gammelt navn på data"}},
                "example": {"name": "bolig_tilbudt", "data": {"dato": "2026-05-01", "bolig": "Kommunal leilighet, Tøyen"}}},
    "Revoke": {"type": "object", "required": ["reason"], "additionalProperties": False,
               "properties": {"reason": text(500, 1, pattern=r"\S"), "deactivate": {"type": "boolean"}}},
    "NewComment": {"type": "object", "required": ["body"], "additionalProperties": False,
                   "properties": {"body": text(5000, 1, description="Teksten; @brukernavn nevner en kollega."),
                                  "category": {"type": "string", "enum": list(COMMENT_CATEGORIES),
                                               "description": "Hvem ser kommentaren (standard moter_og_rapporter)."},
                                  "task_id": nullable(TASK_ID)},
                   "example": {"body": "@ingrid.bygdoy kan du ta med statusrapporten til møtet?", "category": "saksgang"}},
    "CommentChange": {"type": "object", "required": ["body"], "additionalProperties": False,
                      "properties": {"body": text(5000, 1)}},
    "MoveDeadline": {"type": "object", "required": ["due_date", "reason"], "additionalProperties": False,
                     "properties": {"due_date": DATE, "reason": REASON}},
    "Repair": {"type": "object", "required": ["reason"], "additionalProperties": False,
               "properties": {"reason": REASON, "data": FORM_DATA, "task_id": nullable(TASK_ID),
                              "timer": text(100, 1), "due_at": DATETIME, "element_id": text(200, 1)}},
    "Migration": {"type": "object", "required": ["from_version_id", "to_version_id"], "additionalProperties": False,
                  "properties": {"from_version_id": ID, "to_version_id": ID, "dry_run": {"type": "boolean"},
                                 "reason": nullable(text(2000))}},
    "NewSubscription": {"type": "object", "required": ["url", "event_types"], "additionalProperties": False,
                        "properties": {"url": text(2000, 1), "description": nullable(text(500)),
                                       "event_types": {"type": "array", "minItems": 1, "maxItems": 20,
                                                       "items": {"type": "string", "enum": list(PUBLIC_TYPES)}},
                                       "secret": text(200, 1), "active": {"type": "boolean"}}},
    "SubscriptionChange": {"type": "object", "additionalProperties": False,
                           "properties": {"url": text(2000, 1), "description": nullable(text(500)),
                                          "event_types": {"type": "array", "minItems": 1, "maxItems": 20,
                                                          "items": {"type": "string", "enum": list(PUBLIC_TYPES)}},
                                          "secret": text(200, 1), "active": {"type": "boolean"},
                                          "rotate_secret": {"type": "boolean"}}},
    "AssignInbound": {"type": "object", "required": ["case_id"], "additionalProperties": False,
                      "properties": {"case_id": ID}},
}

# -- responses (what the server answers; schemathesis checks every answer against these) -----------

_TS = nullable({"type": "string"})
_STR = nullable({"type": "string"})
_INT = nullable({"type": "integer"})
_OBJ = {"type": "object"}
_OBJS = {"type": "array", "items": _OBJ}

TASK: dict[str, Any] = {"type": "object", "required": ["id", "case_id", "element_id", "lane", "overdue", "has_draft"],
        "properties": {"id": {"type": "string"}, "case_id": {"type": "integer"}, "element_id": {"type": "string"},
                       "name": _STR, "lane": _STR, "role": _STR, "form": _STR, "due_at": _TS, "overdue": {"type": "boolean"},
                       "overdue_at": _TS, "created_at": _TS, "claimed_by": _INT, "has_draft": {"type": "boolean"}}}
TIMER = {"type": "object", "required": ["task_id", "element_id", "kind"],
         "properties": {"task_id": {"type": "string"}, "element_id": {"type": "string"}, "kind": {"type": "string"},
                        "deadline": _STR, "due_at": _TS, "broken_reason": _STR}}
CASE = {"type": "object",
        "required": ["id", "status", "version", "process_key", "process_version", "bydel", "institution", "links"],
        "properties": {"id": {"type": "integer"}, "status": {"type": "string", "enum": list(ALL)},
                       "version": {"type": "integer"}, "process_key": {"type": "string"},
                       "process_version": {"type": "integer"}, "bydel": {"type": "string"},
                       "institution": {"type": "string"}, "resident_name": {"type": "string"}, "anchors": _OBJ,
                       "created_at": _TS, "updated_at": _TS, "completed_at": _TS, "links": _OBJ,
                       "error": {"type": "object", "required": ["message"],
                                 "properties": {"message": {"type": "string"}, "element_id": _STR, "at": _TS}},
                       "tasks": {"type": "array", "items": TASK}, "timers": {"type": "array", "items": TIMER},
                       "data": _OBJ}}
EVENT = {"type": "object", "required": ["id", "at", "type"],
         "properties": {"id": {"type": "integer"}, "at": _TS, "type": {"type": "string"}, "actor_id": _INT,
                        "element_id": _STR, "task_id": _STR}}
ERROR_BODY = {"type": "object", "required": ["code", "message"],
              "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                             "request_id": {"type": "string"}, "details": {}}}

COMMENT = {"type": "object", "required": ["id", "case_id", "author_id", "category", "body", "created_at"],
           "properties": {"id": {"type": "integer"}, "case_id": {"type": "integer"}, "task_id": nullable({"type": "string"}),
                          "author_id": {"type": "integer"}, "author": {"type": "string"}, "lane": {"type": "string"},
                          "category": {"type": "string"}, "body": nullable({"type": "string"}),
                          "mentions": {"type": "array", "items": {"type": "string"}},
                          "created_at": {"type": "string"}, "edited_at": _TS, "deleted_at": _TS, "revisions": _OBJS}}

RESPONSES: dict[str, dict[str, Any]] = {
    "Error": ERROR_BODY,
    "Case": CASE,
    "CaseList": {"type": "array", "items": CASE},
    "Task": {**TASK, "properties": {**TASK["properties"], "schema": nullable(_OBJ), "ui_schema": nullable(_OBJ),
                                    "draft": nullable(_OBJ), "case_version": {"type": "integer"}}},
    "TaskList": {"type": "array", "items": TASK},
    "EventList": {"type": "array", "items": EVENT},
    "Deployed": {"type": "object", "required": ["id", "hash", "created", "versions"],
                 "properties": {"id": {"type": "integer"}, "hash": {"type": "string"}, "created": {"type": "boolean"},
                                "versions": _OBJS}},
    "Validation": {"type": "object", "required": ["valid", "problems"],
                   "properties": {"valid": {"type": "boolean"}, "problems": _OBJS}},
    "VersionList": _OBJS,
    "Deadlines": {"type": "object", "required": ["case_id", "version", "deadlines", "history"],
                  "properties": {"case_id": {"type": "integer"}, "version": {"type": "integer"},
                                 "deadlines": _OBJS, "history": _OBJS}},
    "DeadlineChange": {"type": "object", "required": ["id", "new_date"],
                       "properties": {"id": {"type": "integer"}, "new_date": {"type": "string"}}},
    "Timers": {"type": "object", "required": ["scheduler", "state", "timers", "overdue_tasks", "heartbeats"],
               "properties": {"scheduler": _OBJ, "state": {"type": "string"}, "timers": _OBJS,
                              "overdue_tasks": _OBJS, "heartbeats": _OBJS}},
    "Subscription": {"type": "object", "required": ["id", "url", "event_types", "active"],
                     "properties": {"id": {"type": "integer"}, "url": {"type": "string"},
                                    "event_types": {"type": "array", "items": {"type": "string"}},
                                    "active": {"type": "boolean"}, "secret": {"type": "string"}}},
    "SubscriptionList": _OBJS,
    "OutboxEvent": {"type": "object", "required": ["id", "state"],
                    "properties": {"id": {"type": "integer"}, "state": {"type": "string"}}},
    "OutboxEventList": _OBJS,
    "InboundEvent": {"type": "object", "required": ["id", "state"],
                     "properties": {"id": {"type": "integer"}, "state": {"type": "string"}}},
    "InboundEventList": _OBJS,
    "StuckList": _OBJS,
    "System": _OBJ,
    "MigrationReport": {"type": "object", "required": ["from_version_id", "to_version_id", "dry_run", "cases"],
                  "properties": {"dry_run": {"type": "boolean"}, "cases": _OBJS}},
    "Revoked": {"type": "object", "required": ["user_id", "sessions_ended", "active"],
                "properties": {"user_id": {"type": "integer"}, "sessions_ended": {"type": "integer"},
                               "tokens_revoked": {"type": "integer"}, "active": {"type": "boolean"}}},
    "Consent": {"type": "object", "required": ["state"],
                "properties": {"state": {"type": "string"}, "given": {"type": "boolean"},
                               "categories": {"type": "array", "items": {"type": "string"}},
                               "directions": {"type": "array", "items": {"type": "string"}},
                               "valid_until": _TS, "withdrawn_at": _TS, "renewal_task_open": {"type": "boolean"}}},
    "Comment": COMMENT,
    "CommentList": {"type": "object", "required": ["comments", "withheld"],
                    "properties": {"comments": {"type": "array", "items": COMMENT}, "withheld": _OBJS}},
    "OpenAPI": _OBJ,
}
