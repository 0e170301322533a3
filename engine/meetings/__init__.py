"""Meetings as first-class (issue 17): planned by their convenor, sent as calendar invitations,
tied to the minutes form, with attendance per party.  See ``service`` (plan, move, cancel),
``ical`` (RFC 5545) and ``kinds`` (which minutes forms are meetings)."""
