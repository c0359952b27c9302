"""LittleHorse user-tasks-bridge compatibility under ``/littlehorse/{tenant_id}/``.

Bridge clients (the bridge's own ``api-client``, current and v0.13.0, and its console) work
against the inbox unchanged: same paths, query parameters, camelCase JSON with ``null`` members,
``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` times, bookmark paging, the bridge's status codes, and JSON error
bodies with ``message`` and the RFC 9457 members. Tenants come from ``LITTLEHORSE_TENANTS``; an
unknown tenant is 401. Authentication is the inbox's (Bearer API tokens or the browser session);
every task change goes through ``inbox.lifecycle``, every user or group change through
``directory`` (recorded). Modules: ``base`` (view base, errors, parameters, task access),
``shapes`` (JSON), ``views`` (user routes), ``admin``, ``management`` + ``directory``, ``docs`` +
``schema`` (OpenAPI document at ``/littlehorse/schema/``).
"""
