"""What the hostile suites share: the harness from tests/integration, a pam_drive wrapper
that keeps the raw bytes of the conversation, and the harness's control-character check."""

import os
import stat
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402

REAL_PAM_DRIVE = harness.PAM_DRIVE
_RAW_LOCK = threading.Lock()


def install_raw_capture(stack):
    """Points the harness at a wrapper of pam_drive that copies its stdout, byte for byte,
    to WORKDIR/raw/SERVICE.out (stderr to SERVICE.err): every run of a service, stderr
    included, where the harness's login.raw holds one run's stdout. (pam_drive reads the
    service directory itself through pam_start_confdir, so no pam_wrapper and no shared
    /tmp/pam.X directories.)"""
    workdir = stack.workdir
    raw_dir = os.path.join(workdir, "raw")
    os.makedirs(raw_dir, exist_ok=True)
    wrapper = os.path.join(workdir, "pam_drive_raw.sh")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\n\"{REAL_PAM_DRIVE}\" \"$@\" 2>>\"{raw_dir}/$1.err\" | tee -a \"{raw_dir}/$1.out\"\n")
    os.chmod(wrapper, stat.S_IRWXU)
    harness.PAM_DRIVE = wrapper
    return raw_dir


def raw_output(raw_dir, service, stream="out"):
    """What pam_drive wrote for SERVICE to stdout (STREAM "out") or stderr ("err")."""
    path = os.path.join(raw_dir, f"{service}.{stream}")
    if not os.path.exists(path):
        return b""
    with open(path, "rb") as f:
        return f.read()


def raw_syslog(workdir, service):
    """The syslog capture files of SERVICE, as bytes (the harness decodes them leniently)."""
    data = b""
    for name in sorted(os.listdir(workdir)):
        if name.startswith(f"syslog-{service}-"):
            with open(os.path.join(workdir, name), "rb") as f:
                data += f.read()
    return data


# The control-character check, shared with tests/integration (test_local_input).
unsafe_characters = harness.unsafe_characters


def use_var_tmp():
    """Temporary directories go under /var/tmp, not /tmp: each pam_drive gets a /tmp of its
    own (install_raw_capture), and must still see the test's files."""
    if os.path.isdir("/var/tmp"):
        tempfile.tempdir = "/var/tmp"


def new_workdir(prefix):
    use_var_tmp()
    return tempfile.mkdtemp(prefix=prefix)
