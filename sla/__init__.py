"""Service levels: business calendars, SLA policies, escalation rules and their scanner.

Floors: ``models`` -> ``calendars`` (time arithmetic) -> ``policies`` (which policy a task
falls under, its dates; bulk recompute) -> ``scanner`` (escalation firings, changes through
``inbox.lifecycle``) -> ``tasks`` (Celery) ; ``words`` renders SLA state for people.
"""
