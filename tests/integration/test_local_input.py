"""Bad local input through the real Linux-PAM stack: user names no account can have,
applications with no or a broken conversation, and oddly quoted module arguments. Each
must end in a denying code, with nothing raw reaching the terminal or the log: every
login's raw conversation bytes (what pam_drive printed) and syslog lines are checked for
control characters, escape sequences and bidi overrides. TAP."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import PAM_AUTH_ERR, PAM_CONV_ERR, PAM_SERVICE_ERR, Check, main, serial, unsafe_characters  # noqa: E402


def clean_login(stack, service, user, **options):
    """stack.login, then the check that nothing unsafe reached the terminal or the log."""
    login = stack.login(service, user, **options)
    if b"RESULT authenticate " not in login.raw:
        raise AssertionError(f"the raw conversation capture is missing: {login.raw!r}")
    problems = unsafe_characters(login.raw, "conversation") + unsafe_characters(login.raw_log, "syslog")
    if problems:
        raise AssertionError(f"unsafe characters for user {user!r}:\n" + "\n".join(problems))
    return login


def refused_before_any_request(stack, name, user):
    mark = stack.log_mark()
    service = stack.service(name, stack.base_config())
    login = clean_login(stack, service, user)
    Check.equal(login.result, PAM_AUTH_ERR, f"pam_authenticate for {user!r}")
    Check.equal(login.user_code, None, "no code shown")
    # The refusal names the user (sanitized): the conversation check above had it to read.
    # It is one line: a newline in the name must not start a forged line on the terminal.
    Check.equal(len(login.errors), 1, "error messages")
    Check.contains(login.errors[0], "Sign-in not authorized for ", "message to the user")
    Check.absent(login.errors[0], "\n", "message to the user")
    Check.contains(login.log, "user name is too long or holds spaces or control characters", "log line")
    # One line per outcome: a newline in the name must not start a second, forged log line.
    Check.equal(len([line for line in login.log.splitlines() if "result=" in line]), 1, "outcome lines")
    for line in login.log.splitlines():
        if not line[:3].strip().isdigit():
            raise AssertionError(f"a log line does not start with its priority (forged?): {line!r}")
    return mark


@serial
def test_user_names_no_account_can_have_are_refused_before_any_request(stack):
    mark = stack.log_mark()
    for index, user in enumerate(["alice bob", "alice\nroot result=approved", "a" * 300, "alice\x1b[2J", "\t",
                                  "alice\u202etxt"]):
        refused_before_any_request(stack, f"odd-user-{index}", user)
    Check.equal([e for e in stack.log_since(mark) if e["path"] == "/device/auth"], [], "device requests")


def test_user_name_with_slashes_is_shown_and_compared_as_it_is(stack):
    # Visible ASCII: a device flow starts, and only an identity equal to it could pass.
    service = stack.service("slashes", stack.base_config())
    login = clean_login(stack, service, "../../etc/passwd", on_prompt=stack.approver("alice"))
    Check.equal(login.result, PAM_AUTH_ERR, "pam_authenticate")
    Check.contains(login.shown, "Approve sign-in as ../../etc/passwd on", "context line")
    Check.contains("\n".join(login.errors), "not authorized for ../../etc/passwd", "message to the user")


@serial
def test_no_conversation_function_is_conv_err_before_any_request(stack):
    mark = stack.log_mark()
    service = stack.service("no-conv", stack.base_config())
    login = clean_login(stack, service, "alice", extra_env={"PAM_DRIVE_CONV": "none"})
    Check.equal(login.result, PAM_CONV_ERR, "pam_authenticate")
    Check.contains(login.log, "no conversation function", "log line")
    Check.equal([e for e in stack.log_since(mark) if e["path"] == "/device/auth"], [], "device requests")


def test_conversation_answering_nothing_is_conv_err(stack):
    service = stack.service("null-response", stack.base_config())
    login = clean_login(stack, service, "alice", extra_env={"PAM_DRIVE_CONV": "null-response"})
    Check.equal(login.result, PAM_CONV_ERR, "pam_authenticate")


def test_oddly_quoted_arguments_are_service_err(stack):
    # Linux-PAM's own syntax is [key=value with spaces]; shell quoting and a lone bracket
    # split into arguments the loader does not know, and the module refuses to guess.
    for name, args, needle in (("quote", ['scope="openid', 'profile"'], "expected key=value"),
                               ("bracket", ["[scope=openid"], "result=config-error")):
        service = stack.service(f"args-{name}", stack.base_config(), args=args)
        login = clean_login(stack, service, "alice")
        Check.equal(login.result, PAM_SERVICE_ERR, f"pam_authenticate ({name})")
        Check.contains(login.log, needle, f"log line ({name})")
        Check.equal(login.user_code, None, "no code shown")


CASES = [value for name, value in list(globals().items()) if name.startswith("test_")]

if __name__ == "__main__":
    sys.exit(main(CASES))
