"""The dialect profiles, one module per IdP (see base.py for what a profile holds)."""

from . import auth0, authentik, dex, entra, github, gitlab, google, keycloak, okta, pingone, zitadel

ALL = [m.PROFILE for m in (github, google, entra, okta, auth0, keycloak, gitlab, dex, authentik, zitadel, pingone)]
BY_NAME = {p.name: p for p in ALL}
