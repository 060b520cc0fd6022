"""Trust: discovery, signed tokens, introspection, identity mapping and group rules,
through the real Linux-PAM stack against the real test IdP. TAP output."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import PAM_AUTH_ERR, PAM_SERVICE_ERR, PAM_SUCCESS, Check, main, serial, silent_listener  # noqa: E402

RESOURCE = "urn:pam-oauth2:test"
BASIC_SECRET = "s3cr3t:with/special+chars&=%"


def confidential(stack, name, client="pam-basic", secret=BASIC_SECRET, **overrides):
    """An issuer-only configuration for a confidential client (which may introspect)."""
    path = stack.write_secret(stack.new_dir(name), secret)
    return stack.issuer_config(client_id=client, client_secret_file=path, **overrides)


def login_as(stack, name, config, user="alice", approver=None, args=()):
    service = stack.service(name, config, args=args)
    return stack.login(service, user, on_prompt=stack.approver(approver or user))


def requests_to(entries, path):
    return [e for e in entries if e["path"] == path]


@serial
def test_issuer_and_client_id_alone_log_in(stack):
    # Only issuer, client_id and require_scope (plus the test CA): endpoints, keys and the
    # requested scope (openid + require_scope) are worked out by the module.
    mark = stack.log_mark()
    login = login_as(stack, "minimal", stack.issuer_config(require_scope="ssh:login"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    seen = stack.log_since(mark)
    Check.equal(len(requests_to(seen, "/.well-known/openid-configuration")), 1, "discovery requests")
    # The identity comes from the verified ID token: one key fetch, no userinfo call.
    Check.equal(len(requests_to(seen, "/jwks")), 1, "key fetches")
    Check.equal(requests_to(seen, "/me"), [], "userinfo calls")
    Check.contains(login.log, "scope_source=response identity_source=id_token", "log line")


def test_discovery_issuer_mismatch_is_service_err(stack):
    # The document says https://127.0.0.1:PORT; a trailing slash is another issuer.
    login = login_as(stack, "issuer-mismatch", stack.issuer_config(issuer=stack.idp.issuer + "/"))
    Check.equal(login.result, PAM_SERVICE_ERR, "pam_authenticate")
    Check.contains(login.log, "issuer in the document differs", "log line")
    Check.equal(login.user_code, None, "no code shown")


def test_explicit_endpoint_wins_over_discovery(stack):
    # A wrong device endpoint set by hand must be used (and fail), not the discovered one.
    config = stack.issuer_config(device_authorization_endpoint=f"{stack.idp.issuer}/no-such-endpoint")
    login = login_as(stack, "explicit-endpoint", config)
    Check.contains(login.log, "/no-such-endpoint", "the configured endpoint was used")
    if login.result == PAM_SUCCESS:
        raise AssertionError("a login through a non-existent endpoint succeeded")


def test_scope_source_response(stack):
    login = login_as(stack, "scope-response", stack.issuer_config(scope_source="response", require_scope="ssh:login"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.contains(login.log, "scope_source=response", "log line")


def test_scope_source_introspection(stack):
    config = confidential(stack, "scope-introspection", scope_source="introspection", require_scope="ssh:login")
    login = login_as(stack, "scope-introspection", config)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.contains(login.log, "scope_source=introspection", "log line")


def test_scope_source_auto_prefers_introspection_for_a_confidential_client(stack):
    config = confidential(stack, "scope-auto-introspection", require_scope="ssh:login")
    login = login_as(stack, "scope-auto-introspection", config)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.contains(login.log, "scope_source=introspection", "log line")


def test_scope_source_jwt(stack):
    config = stack.issuer_config(audience=RESOURCE, scope_source="jwt", require_scope="ssh:login")
    login = login_as(stack, "scope-jwt", config)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.contains(login.log, "scope_source=jwt", "log line")


def test_bob_without_sudo_is_refused_under_every_scope_source(stack):
    configs = {
        "response": stack.issuer_config(scope_source="response", require_scope="sudo"),
        "introspection": confidential(stack, "bob-introspection", scope_source="introspection", require_scope="sudo"),
        "jwt": stack.issuer_config(audience=RESOURCE, scope_source="jwt", require_scope="sudo"),
    }
    for source, config in configs.items():
        login = login_as(stack, f"bob-sudo-{source}", config, user="bob")
        Check.equal(login.result, PAM_AUTH_ERR, f"bob under scope_source={source}")
        Check.contains(login.log, f"required scope 'sudo' not granted (scope_source={source})", "log line")
        # The same configuration lets alice (who is granted sudo) in: the refusal is about bob's grant.
        login = login_as(stack, f"alice-sudo-{source}", config, user="alice")
        Check.equal(login.result, PAM_SUCCESS, f"alice under scope_source={source}")


def test_jwt_access_token_for_another_audience_is_refused(stack):
    config = stack.issuer_config(client_id="pam-wrong-aud", audience=RESOURCE)
    login = login_as(stack, "wrong-audience", config)
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "access token refused: aud does not name us", "log line")


def test_introspection_naming_another_client_is_refused(stack):
    config = confidential(stack, "other-client", client="pam-confused", secret="confused-secret",
                          scope_source="introspection")
    login = login_as(stack, "other-client", config)
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "introspection: token was issued to another client", "log line")


@serial
def test_identity_from_id_token_needs_no_userinfo_call(stack):
    mark = stack.log_mark()
    config = stack.issuer_config(identity_source="id_token", username_claim="sub")
    login = login_as(stack, "identity-id-token", config)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.equal(requests_to(stack.log_since(mark), "/me"), [], "userinfo calls")


def test_identity_from_es256_id_token(stack):
    config = stack.issuer_config(client_id="pam-es256", identity_source="id_token", username_claim="sub",
                                 allowed_algs="ES256")
    login = login_as(stack, "identity-es256", config)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")


def test_id_token_signed_with_a_disallowed_alg_is_refused(stack):
    # pam-es256's ID tokens are ES256; allowing only RS256 must refuse them.
    config = stack.issuer_config(client_id="pam-es256", identity_source="id_token", username_claim="sub",
                                 allowed_algs="RS256")
    login = login_as(stack, "identity-alg-refused", config)
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "id_token refused: alg not allowed", "log line")


def test_identity_from_jwt_access_token(stack):
    config = stack.issuer_config(audience=RESOURCE, identity_source="jwt")
    login = login_as(stack, "identity-jwt", config)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.contains(login.log, "identity_source=jwt", "log line")


def test_identity_from_introspection(stack):
    config = confidential(stack, "identity-introspection", identity_source="introspection", username_claim="sub")
    login = login_as(stack, "identity-introspection", config)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.contains(login.log, "identity_source=introspection", "log line")


def test_identity_from_userinfo(stack):
    login = login_as(stack, "identity-userinfo", stack.issuer_config(identity_source="userinfo"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.contains(login.log, "identity_source=userinfo", "log line")


def test_wrong_user_refused_under_every_identity_source(stack):
    configs = {
        "id_token": stack.issuer_config(identity_source="id_token", username_claim="sub"),
        "jwt": stack.issuer_config(audience=RESOURCE, identity_source="jwt"),
        "introspection": confidential(stack, "wrong-introspection", identity_source="introspection",
                                      username_claim="sub"),
        "userinfo": stack.issuer_config(identity_source="userinfo"),
    }
    for source, config in configs.items():
        login = login_as(stack, f"wrong-user-{source}", config, user="alice", approver="bob")
        Check.equal(login.result, PAM_AUTH_ERR, f"bob approving for alice, identity_source={source}")
        Check.contains(login.log, f"='bob', not the PAM user (identity_source={source})", "log line")


def test_failure_to_verify_after_approval_is_a_refusal_not_an_outage(stack):
    # Someone approved, then userinfo never answers. As PAM_AUTHINFO_UNAVAIL this would hand
    # an unverified approval to an authinfo_unavail=ignore fallback.
    port, close = silent_listener()
    try:
        config = stack.issuer_config(identity_source="userinfo", userinfo_endpoint=f"https://127.0.0.1:{port}/me",
                                     http_timeout="2")
        login = login_as(stack, "verify-after-approval", config, approver="bob")
    finally:
        close()
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "result=token-invalid reason=after approval: userinfo request: timed out", "log line")


def test_group_rule_admits_admins_only(stack):
    config = stack.issuer_config(scope="openid profile groups", require_group="admins")
    Check.equal(login_as(stack, "group-alice", config, user="alice").result, PAM_SUCCESS, "alice (admins)")
    login = login_as(stack, "group-bob", config, user="bob")
    Check.equal(login.result, PAM_AUTH_ERR, "bob (staff only)")
    Check.contains(login.log, "is in none of the groups 'admins'", "log line")
    Check.contains("\n".join(login.errors), "not authorized for bob", "message to the user")


def test_username_map_allows_listed_pairs_only(stack):
    directory = stack.new_dir("username-map")
    users = stack.write_file(directory, "users", "# identity  local users\nalice  alice,deploy\n")
    config = stack.issuer_config(username_map=users)
    Check.equal(login_as(stack, "map-alice", config, user="alice", approver="alice").result, PAM_SUCCESS,
                "alice as alice")
    Check.equal(login_as(stack, "map-deploy", config, user="deploy", approver="alice").result, PAM_SUCCESS,
                "alice as deploy")
    login = login_as(stack, "map-root", config, user="root", approver="alice")
    Check.equal(login.result, PAM_AUTH_ERR, "alice as root")
    Check.contains(login.log, "the username map has no entry for this user", "log line")


def test_username_suffix_is_required_and_stripped(stack):
    config = stack.issuer_config(scope="openid email", username_claim="email", username_suffix="@example.com")
    login = login_as(stack, "suffix-alice", config)
    Check.equal(login.result, PAM_SUCCESS, "alice@example.com as alice")
    # The ID token has no email claim: auto falls back to userinfo (whose sub must agree).
    Check.contains(login.log, "email='alice@example.com' (suffix stripped, equals the user) scope_source=response identity_source=userinfo", "log line")
    config = stack.issuer_config(scope="openid email", username_claim="email", username_suffix="@other.org")
    login = login_as(stack, "suffix-other", config)
    Check.equal(login.result, PAM_AUTH_ERR, "alice@example.com with suffix @other.org")
    Check.contains(login.log, "lacks the suffix '@other.org'", "log line")


def test_email_identity_needs_a_verified_address(stack):
    # mallory typed alice's address at sign-up without proving it (email_verified false):
    # with username_claim = email that must not make her alice.
    config = stack.issuer_config(scope="openid email", username_claim="email", username_suffix="@example.com")
    login = login_as(stack, "email-unverified", config, user="alice", approver="mallory")
    Check.equal(login.result, PAM_AUTH_ERR, "mallory (unverified alice@example.com) as alice")
    Check.contains(login.log, "email='alice@example.com' is not verified (email_verified is not true)", "log line")
    Check.contains("\n".join(login.errors), "not authorized for alice", "message to the user")
    login = login_as(stack, "email-verified", config, user="alice", approver="alice")
    Check.equal(login.result, PAM_SUCCESS, "alice (verified alice@example.com) as alice")
    Check.contains(login.log, "email='alice@example.com' (suffix stripped, equals the user)", "log line")


def test_case_folding_never_reaches_uid_0(stack):
    # The test runs as root, so the PAM user root exists with uid 0. An IdP account "Root"
    # must not become root by case folding; other users still fold.
    config = stack.issuer_config(username_case="insensitive")
    login = login_as(stack, "fold-root", config, user="root", approver="Root")
    Check.equal(login.result, PAM_AUTH_ERR, "IdP account Root as local root, username_case=insensitive")
    Check.contains(login.log, "approved by preferred_username='Root', not the PAM user", "log line")
    map_dir = stack.new_dir("fold-root-map")
    mapped = stack.issuer_config(username_case="insensitive",
                                 username_map=stack.write_file(map_dir, "map", "Root root\n"))
    login = login_as(stack, "fold-root-mapped", mapped, user="root", approver="Root")
    Check.equal(login.result, PAM_SUCCESS, "Root as root through an explicit username_map line")
    login = login_as(stack, "fold-alice", config, user="ALICE", approver="alice")
    Check.equal(login.result, PAM_SUCCESS, "alice as ALICE (no such local account, so not uid 0): folds")


def test_claims_are_exported_to_the_pam_environment(stack):
    login = login_as(stack, "export", stack.issuer_config())
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.equal(login.env.get("OAUTH2_SUB"), "alice", "OAUTH2_SUB")
    Check.equal(login.env.get("OAUTH2_USERNAME"), "alice", "OAUTH2_USERNAME")
    Check.equal(login.env.get("OAUTH2_ISSUER"), stack.idp.issuer, "OAUTH2_ISSUER")
    login = login_as(stack, "export-off", stack.issuer_config(export_claims="off"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.equal(sorted(k for k in login.env if k.startswith("OAUTH2_")), [], "exported with export_claims=off")


@serial
def test_rotated_keys_are_fetched_again_once(stack):
    # The first key fetch of this login returns only a decoy key: the ID token's kid is
    # unknown, so the module must fetch the keys again, once, and then verify.
    stack.idp.request("POST", "/test/jwks-rotating/stale", form={})
    mark = stack.log_mark()
    config = stack.issuer_config(jwks_uri=f"{stack.idp.issuer}/test/jwks-rotating", identity_source="id_token",
                                 username_claim="sub")
    login = login_as(stack, "rotation", config)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.equal(len(requests_to(stack.log_since(mark), "/test/jwks-rotating")), 2, "key fetches")
    Check.contains(login.log, "unknown kid, fetching the keys again", "log line")


CASES = [value for name, value in list(globals().items()) if name.startswith("test_")]

if __name__ == "__main__":
    sys.exit(main(CASES))
