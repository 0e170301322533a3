"""Working a case together (issue #17): comments with mentions, and attachments.

Comments and attachments are changes of a case that do not step its workflow: their rows and
their audit changes are written in one transaction through ``engine.cases.unit_of_work.record_case_changes``
(so the webhook outbox, the report facts and notifications see them). Who reads them is decided by
``engine.access`` (may this person read the case at all) and ``engine.access.consent`` (may they see
this piece), exactly as for a form's answers — see ``engine.collab.sharing``.
"""
