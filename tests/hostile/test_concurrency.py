"""50 logins at once through the real Linux-PAM stack against the real test IdP, each
approved, denied, or approved by the wrong account, in random order over HTTP. Every
login must end exactly as its own approval says: no cross-talk between PAM handles,
connections or device codes. TAP output; run with /usr/bin/python3."""

import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
from common import harness  # noqa: E402

H = harness
LOGINS = 50
USERS = ("alice", "bob", "carol")


def plan(index):
    """(PAM user, who approves, decision) for login INDEX."""
    user = USERS[index % len(USERS)]
    if index % 5 == 0:
        return user, user, "deny"
    if index % 5 == 3:
        return user, USERS[(index + 1) % len(USERS)], "allow"  # someone else approves
    return user, user, "allow"


def test_fifty_concurrent_logins_each_get_their_own_answer(stack):
    common.install_raw_capture(stack)
    service = stack.service("concurrent", stack.base_config(timeout="60", http_timeout="5"))
    codes = {}        # index -> the user code that login showed
    ready = threading.Condition()
    approval_errors = []
    random_order = random.Random(os.environ.get("PAM_OAUTH2_TEST_SEED") or time.time_ns())

    def shown(index):
        def on_prompt(login):
            with ready:
                codes[index] = login.user_code
                ready.notify_all()
        return on_prompt

    def approve_all():
        with ready:
            if not ready.wait_for(lambda: len(codes) == LOGINS, timeout=40):
                approval_errors.append(f"only {len(codes)} of {LOGINS} logins showed a code")
        order = list(codes)
        random_order.shuffle(order)

        def approve(index):
            _, approver, decision = plan(index)
            try:
                stack.idp.approve(codes[index], approver, f"{approver}-pw", decision)
            except Exception as e:  # noqa: BLE001
                approval_errors.append(f"approving login {index}: {e!r}")
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(approve, order))

    approver = threading.Thread(target=approve_all)
    approver.start()
    started = time.monotonic()
    with ThreadPoolExecutor(LOGINS) as pool:
        futures = {i: pool.submit(stack.login, service, plan(i)[0], on_prompt=shown(i), timeout=90)
                   for i in range(LOGINS)}
        logins = {}
        crashes = []
        for i, future in futures.items():
            try:
                logins[i] = future.result()
            except Exception as e:  # noqa: BLE001  (a missing RESULT line: a crash)
                crashes.append(f"login {i}: {e}")
    approver.join()
    elapsed = time.monotonic() - started
    problems = approval_errors + crashes
    shown_codes = [codes.get(i) for i in range(LOGINS)]
    if len(set(shown_codes)) != LOGINS:
        problems.append(f"user codes not distinct: {shown_codes}")
    for i, login in logins.items():
        user, approver_name, decision = plan(i)
        if login.user_code != codes.get(i):
            problems.append(f"login {i}: showed {login.user_code}, approval used {codes.get(i)}")
        if decision == "deny":
            if login.result != H.PAM_MAXTRIES or "result=denied" not in login.log:
                problems.append(f"login {i} ({user}, denied): result {login.result}, log {login.log!r}")
        elif approver_name != user:
            expected = f"approved by preferred_username='{approver_name}', not the PAM user"
            if login.result != H.PAM_AUTH_ERR or expected not in login.log:
                problems.append(f"login {i} ({user}, approved by {approver_name}): result {login.result}, "
                                f"log {login.log!r}")
        else:
            if login.result != H.PAM_SUCCESS or login.env.get("OAUTH2_USERNAME") != user:
                problems.append(f"login {i} ({user}, approved): result {login.result}, env {login.env}, "
                                f"log {login.log!r}")
    print(f"# {LOGINS} concurrent logins in {elapsed:.1f} s", flush=True)
    if elapsed > 75:
        problems.append(f"took {elapsed:.1f} s")
    if problems:
        raise AssertionError("\n".join(problems))


if __name__ == "__main__":
    common.use_var_tmp()
    sys.exit(H.main([test_fifty_concurrent_logins_each_get_their_own_answer]))
