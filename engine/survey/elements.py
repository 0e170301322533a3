"""The element ids and keys of ``processes/livskvalitet-aar.bpmn`` the service relies on (one place)."""
from __future__ import annotations

#: The registration: the multi-instance user task, one instance per resident.
REGISTRATION = "registrer_livskvalitet"
#: The leader's report to Velferdsetaten.
REPORT = "rapporter_velferdsetaten"
#: The ``frist`` key of the 31 May deadline on the registrations.
DEADLINE_KEY = "livskvalitet"
