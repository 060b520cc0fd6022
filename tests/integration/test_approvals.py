"""Approvals that prove more, through the real Linux-PAM stack against the real test IdP:
the approver's sign-in factors (amr, acr), its age (auth_time, max_age), and four-eyes
approval (approver_group) by a second person. TAP output."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import PAM_AUTH_ERR, PAM_MAXTRIES, PAM_SUCCESS, Check, main  # noqa: E402

# The test IdP's classes (tests/idp/README.md): with the one-time code, or a password alone.
ACR_MFA = "urn:pam-oauth2:test:mfa"
ACR_PWD = "urn:pam-oauth2:test:pwd"


def in_turn(*approvers):
    """An ON_CODE callback: the Nth code shown goes to the Nth approver (None: nobody)."""
    def act(login):
        index = login.codes_shown - 1
        if index < len(approvers) and approvers[index] is not None:
            approvers[index](login)
    return act


def run(stack, name, config, *approvers, user="alice"):
    service = stack.service(name, config)
    return stack.login(service, user, on_code=in_turn(*approvers))


def four_eyes(stack, **overrides):
    # Groups come from userinfo (the test IdP's ID tokens carry no groups): auto hands over.
    return stack.issuer_config(scope="openid profile groups", approver_group="sre-oncall", **overrides)


def test_mfa_required_and_present_is_granted(stack):
    login = run(stack, "amr-mfa", stack.issuer_config(require_amr="mfa hwk"), stack.approver("alice", mfa=True))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.contains(login.log, "result=approved", "log line")


def test_a_password_alone_is_refused_when_mfa_is_required(stack):
    login = run(stack, "amr-pwd", stack.issuer_config(require_amr="mfa hwk"), stack.approver("alice"))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "amr [pwd] lacks any of [mfa hwk]", "log line")
    Check.contains("\n".join(login.errors), "not authorized for alice", "user line")


def test_acr_must_be_one_of_require_acr(stack):
    config = stack.issuer_config(require_acr=ACR_MFA)
    login = run(stack, "acr-mfa", config, stack.approver("alice", mfa=True))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate (MFA)")
    login = run(stack, "acr-pwd", config, stack.approver("alice"))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate (password)")
    Check.contains(login.log, f"acr '{ACR_PWD}' is none of [{ACR_MFA}]", "log line")


def test_an_old_sign_in_is_refused(stack):
    config = stack.issuer_config(max_auth_age="300")
    mark = stack.log_mark()
    login = run(stack, "auth-age-fresh", config, stack.approver("alice"))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate (fresh sign-in)")
    Check.contains(login.log, "result=approved", "log line")
    Check.equal(len([e for e in stack.log_since(mark) if e["path"] == "/device/auth"]) >= 1, True, "device requests")
    login = run(stack, "auth-age-old", config, stack.approver("alice", auth_age=900))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate (old sign-in)")
    if not re.search(r"auth_time is 9\d\d s old, max_auth_age 300", login.log):
        raise AssertionError(f"log line: no 'auth_time is 9xx s old' in:\n{login.log}")


def test_four_eyes_a_member_of_the_approver_group_completes_the_login(stack):
    config = four_eyes(stack, require_amr="mfa")
    login = run(stack, "four-eyes", config, stack.approver("alice", mfa=True), stack.approver("dave", mfa=True))
    Check.equal(login.result, PAM_SUCCESS, "pam_authenticate")
    Check.equal(login.codes_shown, 2, "codes shown")
    Check.contains(login.shown, "A second person must approve alice's sign-in", "second round's context line")
    Check.contains(login.shown, "Ask a member of sre-oncall to approve: Open ", "second code line")
    Check.contains(login.log, "approved_by=dave for=alice", "log line")
    Check.equal(login.env.get("OAUTH2_USERNAME"), "alice", "OAUTH2_USERNAME")


def test_four_eyes_the_requester_cannot_approve_their_own_second_code(stack):
    login = run(stack, "four-eyes-self", four_eyes(stack), stack.approver("alice"), stack.approver("alice"))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.equal(login.codes_shown, 2, "codes shown")
    Check.contains(login.log, "the requester approved their own second code (same sub)", "log line")


def test_four_eyes_a_non_member_cannot_approve(stack):
    login = run(stack, "four-eyes-bob", four_eyes(stack), stack.approver("alice"), stack.approver("bob"))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "four-eyes approver: preferred_username='bob' is in none of the groups 'sre-oncall'",
                   "log line")


def test_four_eyes_the_approver_needs_mfa_too(stack):
    config = four_eyes(stack, require_amr="mfa")
    login = run(stack, "four-eyes-pwd", config, stack.approver("alice", mfa=True), stack.approver("dave"))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.log, "four-eyes approval for=alice: amr [pwd] lacks any of [mfa]", "log line")


def test_four_eyes_a_second_denial_denies(stack):
    login = run(stack, "four-eyes-deny", four_eyes(stack), stack.approver("alice"),
                stack.approver("dave", decision="deny"))
    Check.equal(login.result, PAM_MAXTRIES, "pam_authenticate")
    Check.contains(login.log, "four-eyes approval for=alice: access_denied at the IdP", "log line")


def test_four_eyes_a_second_approval_that_never_comes_denies(stack):
    # pam-short's device codes expire after 4 s: the second is never approved.
    login = run(stack, "four-eyes-expire", four_eyes(stack, client_id="pam-short"), stack.approver("alice"), None)
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.equal(login.codes_shown, 2, "codes shown")
    Check.contains(login.log, "four-eyes approval for=alice:", "log line")
    Check.absent(login.log, "result=approved", "log line")


CASES = [value for name, value in list(globals().items()) if name.startswith("test_")]

if __name__ == "__main__":
    sys.exit(main(CASES))
