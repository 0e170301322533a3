"""Is the routine followed? Reports over many cases (issue 16).

Everything here reads; a report never changes a case. Figures that leave an organisation are
aggregates with small cells suppressed (`anonymity`).
"""
