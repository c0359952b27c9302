"""Single sign-on providers from the environment, as allauth's ``SOCIALACCOUNT_PROVIDERS``.

``OIDC_PROVIDERS``: a JSON list, one object per OpenID Connect provider::

    [{"id": "keycloak", "name": "Company account", "issuer": "https://sso.example.com/realms/x",
      "client_id": "inbox", "secret": "...", "scopes": ["openid", "profile", "email", "groups"],
      "groups_claim": "groups"}]

``SAML_PROVIDERS``: a JSON list, one object per SAML 2.0 identity provider::

    [{"id": "acme", "name": "ACME SAML", "metadata_url": "https://idp.example.com/metadata",
      "groups_attribute": "groups"}]

Nothing here touches the database; a bad value stops start-up with a message naming it.
"""

import json
import re

from django.core.exceptions import ImproperlyConfigured

_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
DEFAULT_SCOPES = ["openid", "profile", "email"]
_OIDC_KEYS = {
    "id",
    "name",
    "issuer",
    "client_id",
    "secret",
    "scopes",
    "groups_claim",
    "token_auth_method",
}
_SAML_KEYS = {
    "id",
    "name",
    "metadata_url",
    "entity_id",
    "sso_url",
    "x509cert",
    "sp_entity_id",
    "groups_attribute",
    "attribute_mapping",
}


def _entries(var: str, raw: str, allowed: set[str]) -> list[dict]:
    raw = (raw or "").strip()
    if not raw:
        return []
    try:
        entries = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{var} is not valid JSON: {exc}") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ImproperlyConfigured(f"{var} must be a JSON list of objects")
    seen = set()
    for index, entry in enumerate(entries):
        where = f"{var}[{index}]"
        unknown = set(entry) - allowed
        if unknown:
            raise ImproperlyConfigured(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        ident = entry.get("id")
        if not isinstance(ident, str) or not _ID.fullmatch(ident):
            raise ImproperlyConfigured(
                f"{where}.id must be lower-case letters, digits, - or _ (at most 40), not {ident!r}"
            )
        if ident in seen:
            raise ImproperlyConfigured(f"{where}.id {ident!r} is used twice")
        seen.add(ident)
    return entries


def _required_str(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ImproperlyConfigured(f"{where}.{key} is required (a non-empty string)")
    return value.strip()


def oidc_apps(raw: str, default_groups_claim: str) -> list[dict]:
    """allauth ``openid_connect`` APPS from ``OIDC_PROVIDERS``."""
    apps = []
    for index, entry in enumerate(_entries("OIDC_PROVIDERS", raw, _OIDC_KEYS)):
        where = f"OIDC_PROVIDERS[{index}]"
        issuer = _required_str(entry, "issuer", where)
        if not issuer.startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"{where}.issuer must be an http(s) URL, not {issuer!r}")
        scopes = entry.get("scopes", DEFAULT_SCOPES)
        if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
            raise ImproperlyConfigured(f"{where}.scopes must be a list of strings")
        if "openid" not in scopes:
            raise ImproperlyConfigured(f"{where}.scopes must include 'openid'")
        settings = {
            "server_url": issuer,
            "scope": scopes,
            "groups_claim": entry.get("groups_claim", default_groups_claim),
        }
        if entry.get("token_auth_method"):
            if entry["token_auth_method"] not in ("client_secret_basic", "client_secret_post"):
                raise ImproperlyConfigured(
                    f"{where}.token_auth_method must be client_secret_basic or client_secret_post"
                )
            settings["token_auth_method"] = entry["token_auth_method"]
        apps.append(
            {
                "provider_id": entry["id"],
                "name": entry.get("name") or entry["id"],
                "client_id": _required_str(entry, "client_id", where),
                "secret": entry.get("secret", ""),
                "settings": settings,
            }
        )
    return apps


def saml_apps(raw: str, default_groups_attribute: str) -> list[dict]:
    """allauth ``saml`` APPS from ``SAML_PROVIDERS``: the IdP by metadata URL, or by entity id,
    SSO URL and certificate."""
    apps = []
    for index, entry in enumerate(_entries("SAML_PROVIDERS", raw, _SAML_KEYS)):
        where = f"SAML_PROVIDERS[{index}]"
        if entry.get("metadata_url"):
            # entity_id None: the metadata's (only) IdP.
            idp = {
                "metadata_url": _required_str(entry, "metadata_url", where),
                "entity_id": entry.get("entity_id") or None,
            }
        else:
            idp = {
                "entity_id": _required_str(entry, "entity_id", where),
                "sso_url": _required_str(entry, "sso_url", where),
                "x509cert": _required_str(entry, "x509cert", where),
            }
        groups_attribute = entry.get("groups_attribute", default_groups_attribute)
        mapping = {
            "uid": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
            "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            "first_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
            "last_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            **(entry.get("attribute_mapping") or {}),
        }
        settings = {
            "attribute_mapping": mapping,
            "idp": idp,
            "groups_attribute": groups_attribute,
            "advanced": {
                "want_assertion_signed": True,
                "want_message_signed": False,
                "reject_idp_initiated_sso": True,
            },
        }
        if entry.get("sp_entity_id"):
            settings["sp"] = {"entity_id": entry["sp_entity_id"]}
        apps.append(
            {
                "provider_id": entry["id"],
                "name": entry.get("name") or entry["id"],
                # allauth names the SAML "organization" by client_id: /accounts/saml/<id>/...
                "client_id": entry["id"],
                "settings": settings,
            }
        )
    return apps
