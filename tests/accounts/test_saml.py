"""SAML 2.0 sign-in (allauth's SAML provider, python3-saml) with responses signed by a test
IdP's key: a signed assertion signs the person in with their mapped groups; a response altered
after signing, or signed by another key, is refused and changes nothing."""

import base64
import datetime as dt
import json
import re
import uuid
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from accounts.models import IdpGroupMapping, User
from config.sso import saml_apps
from tests.factories import GroupFactory

HOST = "inbox.example.com"
IDP_ENTITY = "https://idp.example.com/entity"
ACS = f"http://{HOST}/accounts/saml/acme/acs/"
SP_ENTITY = f"http://{HOST}/accounts/saml/acme/metadata/"
GROUPS_ATTRIBUTE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"


def idp_key_pair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test idp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def idp_keys():
    return idp_key_pair()


@pytest.fixture
def saml(settings, idp_keys, db):
    _, cert_pem = idp_keys
    cert_b64 = "".join(line for line in cert_pem.splitlines() if "CERTIFICATE" not in line)
    settings.ALLOWED_HOSTS = [HOST]
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "saml": {
            "APPS": saml_apps(
                json.dumps(
                    [
                        {
                            "id": "acme",
                            "name": "ACME",
                            "entity_id": IDP_ENTITY,
                            "sso_url": "https://idp.example.com/sso",
                            "x509cert": cert_b64,
                            "groups_attribute": GROUPS_ATTRIBUTE,
                            "attribute_mapping": {
                                "uid": "uid",
                                "email": "email",
                                "username": "uid",
                            },
                        }
                    ]
                ),
                "groups",
            )
        },
    }
    finance = GroupFactory(name="finance")
    legal = GroupFactory(name="legal")
    IdpGroupMapping.objects.create(provider="acme", idp_group="Finance", group=finance)
    IdpGroupMapping.objects.create(provider="acme", idp_group="Legal", group=legal)


def start_login(client) -> str:
    """The inbox's AuthnRequest ID, from the redirect to the IdP."""
    response = client.post("/accounts/saml/acme/login/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.netloc == "idp.example.com"
    request_xml = zlib.decompress(
        base64.b64decode(parse_qs(location.query)["SAMLRequest"][0]), -15
    ).decode()
    return re.search(r'ID="([^"]+)"', request_xml).group(1)


def signed_response(key_pem, cert_pem, in_response_to, uid, groups, tamper=None) -> str:
    now = dt.datetime.now(dt.UTC)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    issued, later = now.strftime(fmt), (now + dt.timedelta(minutes=5)).strftime(fmt)
    earlier = (now - dt.timedelta(minutes=1)).strftime(fmt)
    assertion_id = "_" + uuid.uuid4().hex
    values = "".join(f"<saml:AttributeValue>{g}</saml:AttributeValue>" for g in groups)
    assertion = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{assertion_id}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{IDP_ENTITY}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">{uid}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{later}" Recipient="{ACS}" InResponseTo="{in_response_to}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{earlier}" NotOnOrAfter="{later}"><saml:AudienceRestriction><saml:Audience>{SP_ENTITY}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{issued}" SessionIndex="{assertion_id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="uid"><saml:AttributeValue>{uid}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="email"><saml:AttributeValue>{uid}@example.com</saml:AttributeValue></saml:Attribute><saml:Attribute Name="{GROUPS_ATTRIBUTE}">{values}</saml:Attribute></saml:AttributeStatement></saml:Assertion>"""
    signed = OneLogin_Saml2_Utils.add_sign(
        assertion,
        key_pem,
        cert_pem,
        sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
        digest_algorithm=OneLogin_Saml2_Constants.SHA256,
    ).decode()
    signed = re.sub(r"^<\?xml[^>]*\?>\s*", "", signed)
    if tamper:
        signed = tamper(signed)
    response = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{issued}" Destination="{ACS}" InResponseTo="{in_response_to}"><saml:Issuer>{IDP_ENTITY}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{signed}</samlp:Response>"""
    return base64.b64encode(response.encode()).decode()


def post_to_acs(client, saml_response):
    response = client.post("/accounts/saml/acme/acs/", {"SAMLResponse": saml_response})
    assert response.status_code == 302, response.content[:500]
    return client.get(response["Location"], follow=True)


def test_a_signed_assertion_signs_the_person_in_with_their_mapped_groups(saml, idp_keys):
    key_pem, cert_pem = idp_keys
    client = Client(HTTP_HOST=HOST)
    request_id = start_login(client)
    page = post_to_acs(
        client, signed_response(key_pem, cert_pem, request_id, "sam", ["Finance", "Legal", "X"])
    )
    assert page.status_code == 200
    assert page.redirect_chain[-1][0] == "/"
    sam = User.objects.get(username="sam")
    assert sam.email == "sam@example.com"
    assert set(sam.groups.values_list("name", flat=True)) == {"finance", "legal"}

    # Next sign-in without "Legal": the group goes.
    other = Client(HTTP_HOST=HOST)
    request_id = start_login(other)
    post_to_acs(other, signed_response(key_pem, cert_pem, request_id, "sam", ["Finance"]))
    assert set(sam.groups.values_list("name", flat=True)) == {"finance"}
    assert User.objects.filter(username="sam").count() == 1


def test_an_assertion_altered_after_signing_is_refused(saml, idp_keys):
    key_pem, cert_pem = idp_keys
    client = Client(HTTP_HOST=HOST)
    request_id = start_login(client)
    forged = signed_response(
        key_pem,
        cert_pem,
        request_id,
        "sam",
        ["Finance"],
        tamper=lambda xml: xml.replace(
            "<saml:AttributeValue>Finance</saml:AttributeValue>",
            "<saml:AttributeValue>Legal</saml:AttributeValue>",
        ),
    )
    page = post_to_acs(client, forged)
    assert b"Sign-in refused" in page.content
    assert b"The SAML response was refused: Signature validation failed" in page.content
    assert not User.objects.filter(username="sam").exists()


def test_an_assertion_signed_by_another_key_is_refused(saml):
    key_pem, cert_pem = idp_key_pair()  # not the configured IdP's
    client = Client(HTTP_HOST=HOST)
    request_id = start_login(client)
    page = post_to_acs(client, signed_response(key_pem, cert_pem, request_id, "sam", []))
    assert b"Sign-in refused" in page.content
    assert b"The SAML response was refused: Signature validation failed" in page.content
    assert not User.objects.filter(username="sam").exists()
