"""pam_oauth2-check against the real test IdP: --config says whether a login can work,
--login runs one as the module would, and neither prints a secret. TAP output."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import BUILD, Check, main  # noqa: E402

TOOL = os.path.join(BUILD, "pam_oauth2-check")
SECRET = "s3cr3t:with/special+chars&=%"


def write_config(stack, name, text, secret=SECRET, secret_mode=0o600):
    directory = stack.new_dir(name)
    path = stack.write_secret(directory, secret)
    os.chmod(path, secret_mode)
    # A cache of its own, removed with the test's directory: the default one
    # (/var/cache/pam_oauth2) would keep an entry per run's issuer on the machine.
    body = text.format(issuer=stack.idp.issuer, ca=stack.idp.ca_file, secret=path,
                       cache=os.path.join(directory, "cache"))
    return stack.write_file(directory, "pam_oauth2.conf", body)


GOOD = ("issuer = {issuer}\nclient_id = pam-basic\nclient_secret_file = {secret}\nca_file = {ca}\n"
        "require_scope = ssh:login\ncache_dir = {cache}\n")
FIRST_EXTRA_LINE = GOOD.count("\n") + 1  # the line number of a line added after GOOD


def run(*args, stdin=None):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, input=stdin, timeout=60)


def test_config_that_can_work_exits_zero(stack):
    result = run("--config", write_config(stack, "check-good", GOOD))
    Check.equal(result.returncode, 0, f"exit status; output:\n{result.stdout}{result.stderr}")
    for step in ("discovery", "token_endpoint", "jwks", "device authorization"):
        if not re.search(rf"^ok\s+{re.escape(step)}\s", result.stdout, re.M):
            raise AssertionError(f"step {step!r} not reported ok:\n{result.stdout}")
    Check.absent(result.stdout + result.stderr, SECRET, "client secret")


def test_mutable_identity_claim_without_a_map_is_a_warning(stack):
    # OIDC Core 5.7: preferred_username (the default) and email can be changed or reassigned.
    result = run("--config", write_config(stack, "check-mutable", GOOD))
    Check.equal(result.returncode, 0, "exit status: a warning, not a failure")
    if not re.search(r"^WARN\s+identity claim\s+username_claim = preferred_username is a name that can be changed",
                     result.stdout, re.M):
        raise AssertionError(f"no warning about the mutable default claim:\n{result.stdout}")
    result = run("--config", write_config(stack, "check-email", GOOD + "username_claim = email\n"))
    Check.contains(result.stdout, "username_claim = email is a name", "warning for email")
    stable = run("--config", write_config(stack, "check-sub", GOOD + "username_claim = sub\n"))
    Check.absent(stable.stdout, "WARN", "sub is stable")
    directory = stack.new_dir("check-map")
    users = stack.write_file(directory, "users", "alice alice\n")
    mapped = run("--config", write_config(stack, "check-mapped", GOOD + f"username_map = {users}\n"))
    Check.absent(mapped.stdout, "WARN", "a mutable claim with a username_map")


def test_wrong_secret_fails_at_the_device_authorization(stack):
    result = run("--config", write_config(stack, "check-wrong-secret", GOOD, secret="wrong"))
    Check.equal(result.returncode, 1, "exit status")
    if not re.search(r"^FAIL\s+device authorization\s.*invalid_client", result.stdout, re.M):
        raise AssertionError(f"no failed device authorization step:\n{result.stdout}")
    Check.contains(result.stdout, "A login cannot work", "verdict")


def test_config_problem_is_named_with_its_line(stack):
    path = write_config(stack, "check-bad-key", GOOD + "colour = blue\n")
    result = run("--config", path)
    Check.equal(result.returncode, 2, "exit status")
    Check.contains(result.stdout, f"{path}:{FIRST_EXTRA_LINE}: unknown key 'colour'", "problem and line")


def test_every_config_problem_is_reported_with_its_line(stack):
    path = write_config(stack, "check-many", GOOD + "colour = blue\ntimeout = soon\nqr = sideways\nnonsense\n")
    result = run("--config", path, "--arg", "shape=round")
    Check.equal(result.returncode, 2, "exit status")
    line = FIRST_EXTRA_LINE
    for needle in (f"{path}:{line}: unknown key 'colour'", f"{path}:{line + 1}: timeout must be",
                   f"{path}:{line + 2}: qr must be one of", f"{path}:{line + 3}: expected 'key = value'",
                   "argument 'shape': unknown key 'shape'"):
        Check.contains(result.stdout, needle, "problem and line")


def test_sign_in_rules_without_an_id_token_are_a_config_problem(stack):
    # require_amr, require_acr and max_auth_age are read from the verified ID token only.
    text = GOOD + "identity_source = userinfo\nrequire_amr = mfa\nmax_auth_age = 300\n"
    result = run("--config", write_config(stack, "check-amr-userinfo", text))
    Check.equal(result.returncode, 2, "exit status")
    Check.contains(result.stdout, "require_amr, require_acr and max_auth_age are read from the verified ID token",
                   "problem")
    result = run("--config", write_config(stack, "check-amr-ok", GOOD + "require_amr = mfa\napprover_group = sre\n"))
    Check.equal(result.returncode, 0, f"exit status; output:\n{result.stdout}{result.stderr}")


def test_secret_file_readable_by_others_is_refused(stack):
    result = run("--config", write_config(stack, "check-secret-mode", GOOD, secret_mode=0o644))
    Check.equal(result.returncode, 2, "exit status")
    Check.contains(result.stdout, "is accessible by group or others", "problem")


def test_unreachable_idp_fails(stack):
    path = write_config(stack, "check-down", GOOD.replace("{issuer}", "https://127.0.0.1:1"))
    result = run("--config", path)
    Check.equal(result.returncode, 1, "exit status")
    Check.contains(result.stdout, "FAIL discovery", "failed step")


def login(stack, name, decision):
    """Runs --login alice, approving with DECISION when the prompt comes."""
    proc = subprocess.Popen([TOOL, "--login", "alice", "--config", write_config(stack, name, GOOD), "--service",
                             "sshd"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    out = ""
    while True:
        char = proc.stdout.read(1)
        if not char:
            break
        out += char
        if out.endswith("Press Enter after approving: "):
            code = re.search(r"enter the code: (\S+)", out).group(1)
            stack.idp.approve(code, "alice", "alice-pw", decision)
            proc.stdin.write("\n")
            proc.stdin.flush()
    return proc.wait(), out


def test_login_runs_the_module_flow_and_prints_every_decision(stack):
    status, out = login(stack, "check-login", "allow")
    Check.equal(status, 0, f"exit status; output:\n{out}")
    for needle in ("Approve sign-in as alice on", "(sshd)", "Or scan:", "device authorization request to",
                   "granted scopes (scope_source=introspection): 'openid ssh:login'",
                   "identity (identity_source=id_token): preferred_username='alice'", "result: approved"):
        Check.contains(out, needle, "login trace")
    Check.absent(out, SECRET, "client secret")
    if re.search(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.", out):
        raise AssertionError(f"a JWT appears in the output:\n{out}")


def test_login_denied_exits_one(stack):
    status, out = login(stack, "check-login-deny", "deny")
    Check.equal(status, 1, "exit status")
    Check.contains(out, "result: denied", "verdict")


def test_list_keys_names_every_key_with_type_and_default(stack):
    result = run("--list-keys")
    Check.equal(result.returncode, 0, "exit status")
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    names = [row[0] for row in rows]
    # Every key the loader knows is listed once: each listed name loads, an unknown one does not.
    Check.equal(len(names), len(set(names)), "keys listed once")
    source = open(os.path.join(os.environ.get("top_srcdir", "."), "pam_oauth2", "config", "oauth2_config.c")).read()
    expected = re.findall(r'\.name = "([a-z_]+)"', source)
    Check.equal(names, expected, "keys listed, in the table's order")
    Check.equal({len(row) for row in rows}, {4}, "columns per row")
    Check.equal(dict((r[0], r[2]) for r in rows)["timeout"], "300", "timeout's default")
    Check.equal(dict((r[0], r[1]) for r in rows)["qr"], "choice(off|utf8|ascii)", "qr's type")


def test_usage_errors_exit_two(stack):
    Check.equal(run().returncode, 2, "no arguments")
    Check.equal(run("--bogus").returncode, 2, "unknown option")
    Check.equal(run("--help").returncode, 0, "--help")


CASES = [value for name, value in list(globals().items()) if name.startswith("test_")]

if __name__ == "__main__":
    sys.exit(main(CASES))
