"""Single sign-on: OpenID Connect and SAML through allauth's socialaccount, groups from the
identity provider (``groups``), and the allauth adapter that ties them together (``adapter``)."""
