"""Inbox groups from the identity provider, applied at every SSO sign-in.

The groups claim (OIDC, ``groups_claim`` of the provider, default ``SSO_GROUPS_CLAIM``; a dotted
path such as ``realm_access.roles`` reaches into nested claims) or the SAML attribute
(``groups_attribute``) lists the person's IdP groups. ``IdpGroupMapping`` rows turn IdP group
values into inbox groups; the mapped groups of a provider are the ones it manages:

* a managed group the person is no longer given is removed (their tasks 404 at once);
* groups no mapping names (assigned by hand) are never touched;
* a group carrying the inbox admin permission is only granted by a mapping with
  ``may_grant_admin`` set; staff and superuser flags are never set from the IdP.

A claim that is present but not a list of strings is refused before anything is written
(``GroupClaimError``); a missing claim means "no groups".
Called by ``accounts.sso.adapter`` only; writes in one transaction.
"""

import logging

from django.db import transaction
from django.db.models import Q

from accounts.models import ADMIN_PERMISSION, IdpGroupMapping, User

log = logging.getLogger(__name__)


class GroupClaimError(ValueError):
    """The identity provider's groups claim is not a list of strings."""


def _lookup(data: dict, path: str):
    value = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def claimed_groups(sociallogin) -> list[str]:
    """The IdP group values of this sign-in; raises GroupClaimError naming the claim."""
    app = sociallogin.account.get_provider().app
    extra = sociallogin.account.extra_data or {}
    if app.provider == "saml":
        # Attribute names are often URIs (dots and all): looked up as they are.
        name = app.settings.get("groups_attribute") or "groups"
        value = extra.get(name)
    else:
        name = app.settings.get("groups_claim") or "groups"
        value = None
        for part in ("userinfo", "id_token"):
            if isinstance(extra.get(part), dict):
                value = _lookup(extra[part], name)
                if value is not None:
                    break
        if value is None and "userinfo" not in extra and "id_token" not in extra:
            value = _lookup(extra, name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GroupClaimError(
            f"The identity provider's {name!r} claim must be a list of group names, "
            f"not {type(value).__name__} {str(value)[:80]!r}."
        )
    return value


def provider_key(sociallogin) -> str:
    """How mappings name this provider: its configured id (``OIDC_PROVIDERS[].id``)."""
    app = sociallogin.account.get_provider().app
    return app.provider_id or app.provider


def sync_groups(*, user: User, provider: str, values: list[str]) -> tuple[set[str], set[str]]:
    """Make ``user``'s managed groups those ``values`` map to; returns (added, removed) names."""
    mappings = list(
        IdpGroupMapping.objects.filter(Q(provider=provider) | Q(provider=""))
        .select_related("group")
        .prefetch_related("group__permissions__content_type")
    )
    app_label, codename = ADMIN_PERMISSION.split(".")
    managed = {m.group for m in mappings}
    wanted = set()
    given = set(values)
    for mapping in mappings:
        if mapping.idp_group not in given:
            continue
        grants_admin = any(
            p.codename == codename and p.content_type.app_label == app_label
            for p in mapping.group.permissions.all()
        )
        if grants_admin and not mapping.may_grant_admin:
            log.warning(
                "SSO: %s maps %r to %r, which grants inbox admin; not granted (set "
                "may_grant_admin on the mapping to allow it)",
                provider,
                mapping.idp_group,
                mapping.group.name,
            )
            continue
        wanted.add(mapping.group)
    with transaction.atomic():
        current = set(user.groups.filter(pk__in=[g.pk for g in managed]))
        to_add, to_remove = wanted - current, current - wanted
        if to_add:
            user.groups.add(*to_add)
        if to_remove:
            user.groups.remove(*to_remove)
    user.__dict__.pop("_group_ids", None)
    user.__dict__.pop("_is_inbox_admin", None)
    return {g.name for g in to_add}, {g.name for g in to_remove}
