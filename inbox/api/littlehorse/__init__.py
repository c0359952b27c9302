"""LittleHorse user-tasks-bridge compatibility under ``/littlehorse/{tenant_id}/``.

Bridge clients (seed 004, ``upstream/README.md`` §5) work against the inbox unchanged: same paths,
query parameters, camelCase JSON, ``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` times, bookmark paging (the
bookmark is absent on the last page), status codes, and RFC 9457 problem bodies. Tenants come
from ``LITTLEHORSE_TENANTS``; an unknown tenant is 401. Authentication is the inbox's (Bearer API
tokens or the browser session); every write goes through ``inbox.lifecycle``.
"""
