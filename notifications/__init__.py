"""People and systems hear about work: notifications (in-app, mail, chat), preferences and
digests, outbound webhooks and completion callbacks, and the event feed.

Floors: ``record`` (called by the lifecycle inside its transaction) imports only models;
``fanout``, ``mail``, ``webhooks``, ``scans`` are services worked off by ``tasks`` (Celery);
views and API views sit on top.
"""
