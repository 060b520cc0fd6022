"""Device-flow logins through the real Linux-PAM stack against the real test IdP
(oidc-provider over HTTPS with a CA made for the run). TAP output."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR, PAM_MAXTRIES,  # noqa: E402
                     PAM_SERVICE_ERR, PAM_SUCCESS, PAM_SYSTEM_ERR, Check, closed_port, last, main, serial,
                     silent_listener)

BASIC_SECRET = "s3cr3t:with/special+chars&=%"
POST_SECRET = "post-secret-123"
HALF_BLOCKS = set("\u2580\u2584\u2588 ")


def qr_rows(login):
    """The QR code's rows as shown: lines made only of half blocks and spaces."""
    rows = []
    for message in login.info:
        rows += [line for line in message.split("\n") if line and set(line) <= HALF_BLOCKS and "\u2588" in line]
    return rows


def test_approved_login_succeeds_and_shows_everything(stack):
    service = stack.service("approve", stack.base_config())
    login = stack.login(service, "alice", rhost="192.0.2.7", on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.equal(login.setcred, PAM_SUCCESS, "pam_setcred after success")
    Check.contains(login.shown, f"Approve sign-in as alice on {os.uname().nodename} ({service}) from 192.0.2.7.",
                   "context line")
    Check.equal(login.url, f"{stack.idp.issuer}/device", "verification_uri shown")
    Check.equal(login.prompts, ["Press Enter after approving: "], "one prompt")
    # People used to sudo type their password here: the answer must not be echoed.
    Check.equal(login.prompt_echo, [False], "the Enter prompt asks for an answer without echo")
    rows = qr_rows(login)
    if len(rows) < 10 or len({len(r) for r in rows}) != 1:
        raise AssertionError(f"expected a rectangular QR code, got {len(rows)} rows")
    Check.contains(login.log, "result=approved", "log line")
    Check.contains(login.log, "user=alice", "log line")


def test_proxy_variables_of_the_caller_are_ignored(stack):
    # Under sudo the environment is the invoking user's: a proxy it names (here a closed
    # port) must not carry the IdP's traffic.
    port = closed_port()
    proxy = f"http://127.0.0.1:{port}"
    env = {name: proxy for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = ""
    service = stack.service("proxy-env", stack.base_config())
    login = stack.login(service, "alice", on_prompt=stack.approver("alice"), extra_env=env)
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate with proxy variables set")


def test_denied_at_the_idp_is_a_final_denial(stack):
    # PAM_MAXTRIES: a denial that also tells sshd and sudo not to retry (see README).
    service = stack.service("deny", stack.base_config())
    login = stack.login(service, "alice", on_prompt=stack.approver("alice", decision="deny"))
    Check.equal(login.result, PAM_MAXTRIES, "pam_authenticate")
    Check.contains("\n".join(login.errors), "denied", "message to the user")
    Check.contains(login.log, "result=denied", "log line")


def test_expired_code_is_auth_err(stack):
    # pam-short's device codes live 4 s: press Enter after that, never approving.
    service = stack.service("expire", stack.base_config(client_id="pam-short"))
    login = stack.login(service, "alice", on_prompt=lambda login: time.sleep(5.5))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "result=expired", "log line")


def test_user_never_granted_required_scope_is_refused(stack):
    # bob clicks Allow, but the IdP never grants him sudo: the module must look at what was granted.
    config = stack.base_config(scope="openid profile sudo", require_scope="sudo")
    service = stack.service("bob-sudo", config)
    login = stack.login(service, "bob", on_prompt=stack.approver("bob"))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "required scope 'sudo' not granted", "log line")
    Check.contains("\n".join(login.errors), "not authorized for bob", "message to the user")


def test_user_granted_required_scope_succeeds(stack):
    config = stack.base_config(scope="openid profile sudo", require_scope="sudo")
    service = stack.service("alice-sudo", config)
    login = stack.login(service, "alice", on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")


def test_another_idp_user_approving_is_refused(stack):
    service = stack.service("wrong-user", stack.base_config())
    login = stack.login(service, "alice", on_prompt=stack.approver("bob"))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains("\n".join(login.errors), "not authorized for alice", "message to the user")
    Check.contains(login.log, "approved by preferred_username='bob'", "log line")


def test_basic_client_succeeds(stack):
    directory = stack.new_dir("basic-secret")
    secret = stack.write_secret(directory, BASIC_SECRET)
    config = stack.base_config(client_id="pam-basic", client_secret_file=secret)
    service = stack.service("basic", config)
    login = stack.login(service, "alice", on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.absent(login.log + login.shown, BASIC_SECRET, "client secret")


def test_post_client_succeeds(stack):
    directory = stack.new_dir("post-secret")
    secret = stack.write_secret(directory, POST_SECRET)
    config = stack.base_config(client_id="pam-post", client_secret_file=secret, client_auth="post")
    service = stack.service("post", config)
    login = stack.login(service, "alice", on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.absent(login.log + login.shown, POST_SECRET, "client secret")


def test_wrong_secret_is_refused_before_any_code(stack):
    directory = stack.new_dir("wrong-secret")
    secret = stack.write_secret(directory, "not-the-secret")
    config = stack.base_config(client_id="pam-basic", client_secret_file=secret)
    service = stack.service("wrong-secret", config)
    login = stack.login(service, "alice")
    Check.equal(login.result, PAM_SERVICE_ERR, "pam_authenticate")
    Check.equal(login.user_code, None, "no code shown")
    Check.contains(login.log, "error=invalid_client", "log line")
    Check.absent(login.log, "not-the-secret", "client secret")


def test_idp_down_is_authinfo_unavail(stack):
    base = f"https://127.0.0.1:{closed_port()}"
    config = stack.base_config(device_authorization_endpoint=f"{base}/device/auth", token_endpoint=f"{base}/token",
                               userinfo_endpoint=f"{base}/me")
    login = stack.login(stack.service("idp-down", config), "alice")
    Check.equal(login.result, PAM_AUTHINFO_UNAVAIL, "pam_authenticate")
    Check.contains(login.log, "unreachable", "log line")
    Check.contains("\n".join(login.errors), "cannot be reached", "message to the user")


def test_silent_idp_is_authinfo_unavail_after_http_timeout(stack):
    port, close = silent_listener()
    try:
        base = f"https://127.0.0.1:{port}"
        config = stack.base_config(device_authorization_endpoint=f"{base}/device/auth",
                                   token_endpoint=f"{base}/token", userinfo_endpoint=f"{base}/me",
                                   http_timeout="2", timeout="60")
        login = stack.login(stack.service("idp-silent", config), "alice")
    finally:
        close()
    Check.equal(login.result, PAM_AUTHINFO_UNAVAIL, "pam_authenticate")
    Check.contains(login.log, "timed out", "log line")
    # Not a timing test: only that http_timeout (2 s) ended it, not the login's 60 s timeout.
    if login.elapsed > 40:
        raise AssertionError(f"took {login.elapsed:.1f} s: http_timeout was not applied")


def test_poll_cut_short_by_the_deadline_is_an_expiry_not_an_outage(stack):
    # The token endpoint never answers; the login's timeout (6 s) leaves the first poll
    # (after the 1 s interval) less than http_timeout (5 s). Ending as an outage would let
    # anyone reach an authinfo_unavail=ignore fallback by pressing Enter late.
    port, close = silent_listener()
    try:
        config = stack.base_config(token_endpoint=f"https://127.0.0.1:{port}/token", timeout="6", http_timeout="5")
        login = stack.login(stack.service("deadline-poll", config), "alice")
    finally:
        close()
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "result=expired reason=not approved before the login's timeout", "log line")


def test_untrusted_ca_is_authinfo_unavail(stack):
    config = stack.base_config(ca_file=stack.idp.other_ca_file)
    login = stack.login(stack.service("untrusted-ca", config), "alice")
    Check.equal(login.result, PAM_AUTHINFO_UNAVAIL, "pam_authenticate")
    Check.contains(login.log, "TLS error", "log line")


def test_prompt_none_polls_until_approved(stack):
    service = stack.service("prompt-none", stack.base_config(prompt="none"))
    login = stack.login(service, "alice", on_code=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.equal(login.prompts, [], "no prompt in prompt=none mode")


def test_code_is_shown_under_pam_silent(stack):
    service = stack.service("silent", stack.base_config())
    login = stack.login(service, "alice", silent=True, on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    if login.user_code is None:
        raise AssertionError("the code was not shown under PAM_SILENT")


def test_arguments_override_the_file(stack):
    # The file's client_id is wrong; the bracketed argument (with a space) and client_id= fix it.
    config = stack.base_config(client_id="no-such-client", scope="openid")
    service = stack.service("args", config, args=["client_id=pam-public", "scope=openid profile"])
    login = stack.login(service, "alice", on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")


def test_unknown_key_is_service_err(stack):
    service = stack.service("bad-config", stack.base_config(colour="blue"))
    login = stack.login(service, "alice")
    Check.equal(login.result, PAM_SERVICE_ERR, "pam_authenticate")
    Check.contains(login.log, "unknown key 'colour'", "log line")
    Check.contains("\n".join(login.errors), "misconfigured", "message to the user")
    Check.equal(login.user_code, None, "no code shown")


def test_failed_conversation_is_conv_err(stack):
    service = stack.service("conv-fail", stack.base_config())
    login = stack.login(service, "alice", close_stdin=True)
    Check.equal(login.result, PAM_CONV_ERR, "pam_authenticate")


def test_retry_after_a_denial_asks_no_new_code(stack):
    # sudo retries on the same PAM handle even after PAM_MAXTRIES: after an explicit "no"
    # the retries end at once, without a new code.
    service = stack.service("retry-denied", stack.base_config())
    login = stack.login(service, "alice", attempts=3, on_prompt=stack.approver("alice", decision="deny"))
    Check.equal(login.results, [PAM_MAXTRIES, PAM_MAXTRIES, PAM_MAXTRIES], "results of three attempts")
    Check.equal(login.codes_shown, 1, "codes shown")
    Check.contains("\n".join(login.errors), "not asking again", "message to the user")
    Check.equal(login.setcred, None, "no setcred after failure")


def test_retry_after_a_policy_refusal_asks_no_new_code(stack):
    # bob is never granted sudo: retrying cannot help, so the retry ends at once.
    config = stack.base_config(scope="openid profile sudo", require_scope="sudo")
    service = stack.service("retry-scope", config)
    login = stack.login(service, "bob", attempts=2, on_prompt=stack.approver("bob"))
    Check.equal(login.results, [PAM_AUTH_ERR, PAM_MAXTRIES], "results of two attempts")
    Check.equal(login.codes_shown, 1, "codes shown")


def test_retry_after_expiry_gets_a_new_code(stack):
    # An unapproved, expired code is no refusal: the next attempt starts a new flow.
    service = stack.service("retry-expired", stack.base_config(client_id="pam-short"))
    attempts = []

    def first_expires_then_approve(login):
        attempts.append(login.user_code)
        if len(attempts) == 1:
            time.sleep(5.5)
        else:
            stack.idp.approve(login.user_code, "alice", "alice-pw")

    login = stack.login(service, "alice", attempts=2, on_prompt=first_expires_then_approve)
    Check.equal(login.results, [PAM_AUTH_ERR, PAM_SUCCESS], "results of two attempts")
    Check.equal(len(set(attempts)), 2, "distinct codes")
    Check.absent("\n".join(f"{k}={v}" for k, v in login.env.items()), "PAM_OAUTH2_REFUSED", "session environment")


def test_refusal_marker_never_reaches_the_session(stack):
    # Our module refuses (marker set), a later module lets the transaction succeed: setcred
    # must remove the marker before the session sees the PAM environment.
    service = stack.service("marker-cleared", stack.base_config(), control="[success=done default=ignore]",
                            after=["auth required pam_permit.so"])
    login = stack.login(service, "alice", on_prompt=stack.approver("alice", decision="deny"))
    Check.equal(login.result, PAM_SUCCESS, "transaction (pam_permit after our refusal)")
    Check.contains(login.log, "result=denied", "our module refused")
    Check.equal(login.setcred, PAM_SUCCESS, "setcred")
    Check.equal([k for k in login.env if k.startswith("PAM_OAUTH2")], [], "markers in the environment")


def test_tls_key_log_in_the_environment_is_refused(stack):
    # Under sudo the environment is the invoking user's: SSLKEYLOGFILE would make libcurl
    # write this connection's TLS secrets wherever the user says. The module must refuse.
    keylog = os.path.join(stack.new_dir("keylog"), "keys")
    service = stack.service("keylog", stack.base_config())
    login = stack.login(service, "alice", on_prompt=stack.approver("alice"), extra_env={"SSLKEYLOGFILE": keylog})
    Check.equal(login.result, PAM_SYSTEM_ERR, "pam_authenticate")
    Check.equal(os.path.exists(keylog), False, "key log file created")
    Check.equal(login.user_code, None, "no code shown")
    Check.contains(login.log, "SSLKEYLOGFILE is set in the environment", "log line")


@serial
def test_slow_down_adds_five_seconds(stack):
    # pam-slow answers the first poll with slow_down; the IdP's interval is 1 s, so the
    # second poll may come no sooner than 6 s after the first.
    mark = stack.log_mark()
    service = stack.service("slow-down", stack.base_config(client_id="pam-slow"))
    login = stack.login(service, "alice", on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    polls = [e for e in stack.log_since(mark) if e["path"] == "/token" and e["client_id"] == "pam-slow"]
    Check.equal([p["error"] for p in polls[:1]], ["slow_down"], "first poll's answer")
    if len(polls) < 2:
        raise AssertionError(f"expected a second poll, got {polls}")
    gap = polls[1]["t_ms"] - polls[0]["t_ms"]
    if gap < 6000:
        raise AssertionError(f"second poll {gap:.0f} ms after the first: slow_down ignored")
    Check.equal([p["error"] for p in polls[1:]], [None] * (len(polls) - 1), "later polls")


@serial
def test_one_connection_serves_the_whole_login(stack):
    mark = stack.log_mark()
    service = stack.service("one-connection", stack.base_config())
    login = stack.login(service, "alice", on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    entries = [e for e in stack.log_since(mark) if e["path"] in ("/device/auth", "/token", "/me")]
    Check.equal(sorted({e["path"] for e in entries}), ["/device/auth", "/me", "/token"], "endpoints used")
    Check.equal(len({e["conn"] for e in entries}), 1, f"TCP connections for {len(entries)} requests")


@last
def test_module_never_polled_too_fast(stack):
    # The IdP answers slow_down to any poll sooner than the interval allows; only
    # pam-slow's deliberate first answers may appear in the whole run.
    early = [e for e in stack.idp.log() if e["error"] == "slow_down" and e["client_id"] != "pam-slow"]
    Check.equal(early, [], "polls answered slow_down")


CASES = [value for name, value in list(globals().items()) if name.startswith("test_")]

if __name__ == "__main__":
    sys.exit(main(CASES))
