"""End-to-end logins through the real OpenSSH server and client, paramiko and sudo,
with the built module against the real test IdP. TAP output.

Needs root (it adds users, a PAM service in /etc/pam.d, a sudoers.d file and runs its
own sshd on 127.0.0.1), /usr/sbin/sshd, ssh, sudo, python3-pexpect, python3-paramiko and
zbarimg (zbar-tools). Everything it adds is removed at the end, also on failure; runs on
one machine take turns (a lock in /run/lock), since the users' names are the IdP's.
Run with Debian's /usr/bin/python3. UPDATE_TRANSCRIPT=1 rewrites tests/e2e/transcript.txt;
KEEP_TEST_DIR=1 keeps the work directory, with every client's text in clients/.
"""

import atexit
import fcntl
import importlib.util
import os
import pwd
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from harness import MODULE, Check, closed_port, endpoint_config, missing_prerequisite, run_tap, start_idp  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "hostile"))
from fault_server import FaultCerts, FaultServer  # noqa: E402

SSHD = "/usr/sbin/sshd"
SSH = "/usr/bin/ssh"
SUDO = "/usr/bin/sudo"
PREFIX = "pamoauth2test"          # every name this suite adds to the system carries it
TEST_USERS = ("alice", "bob", "deploy")
ALICE_UNIX_PASSWORD = "alice-unix-pw-7Q"
DEPLOY_UNIX_PASSWORD = "deploy-unix-pw-3K"
ENTER_PROMPT = "Press Enter after approving: "
CODE_LINE = re.compile(r"Open (\S+) and enter the code: ([A-Z0-9-]+)")
TRANSCRIPT = os.path.join(HERE, "transcript.txt")
CLIENT_ENV = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TERM": "xterm", "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
SSH_OPTIONS = ["-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               # LogLevel stays INFO: the client shows keyboard-interactive instructions
               # (where sshd puts the module's messages after a failure) with logit().
               "-o", "IdentityAgent=none", "-o", "ConnectTimeout=10"]


TRANSCRIPTS_DIR = []   # where spawn() saves what each client showed
SAVED = []
SAVE_LOCK = threading.Lock()


def skip_reason():
    if os.geteuid() != 0:
        return "the end-to-end tests need root (users, /etc/pam.d, sudoers.d, sshd)"
    for path in (SSHD, SSH, SUDO, "/usr/bin/ssh-keygen", "/usr/bin/zbarimg", "/usr/bin/su"):
        if not os.path.exists(path):
            return f"{path} is missing (Debian: openssh-server openssh-client sudo zbar-tools)"
    for module in ("paramiko", "pexpect"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is missing (Debian: python3-paramiko python3-pexpect)"
    return None


# ------------------------------------------------------------------ system fixtures

class System:
    """What this run added to the machine, so that it can all be taken away again."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.paths = []        # files and symlinks to remove
        self.users = []        # users we created
        self.daemons = []      # Popen objects of our sshd processes
        self.lock = threading.Lock()

    def add_path(self, path):
        with self.lock:
            self.paths.append(path)
        return path

    def cleanup(self):
        for proc in self.daemons:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.daemons = []
        for path in reversed(self.paths):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self.paths = []
        for user in self.users:
            subprocess.run(["userdel", "-r", "-f", user], capture_output=True)
        self.users = []


_SSHD_VERSION = []


def sshd_version():
    """(major, minor) of /usr/sbin/sshd, from `sshd -V` ("OpenSSH_9.2p1 ...")."""
    if not _SSHD_VERSION:
        out = subprocess.run([SSHD, "-V"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        match = re.search(r"OpenSSH_(\d+)\.(\d+)", out.stderr + out.stdout)
        if match is None:
            raise RuntimeError(f"cannot tell the version of {SSHD}: {out.stderr!r}")
        _SSHD_VERSION.append((int(match.group(1)), int(match.group(2))))
    return _SSHD_VERSION[0]


def sshd_has_pam_service_name():
    return sshd_version() >= (9, 8)


USER_MARK = "pam_oauth2 e2e test user"   # GECOS of the users we make


def remove_leftovers():
    """What an earlier run killed with SIGKILL left behind (every name carries PREFIX, every
    user our GECOS mark). A user of the same name without the mark is someone else's: stop."""
    for user in TEST_USERS:
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            continue
        if entry.pw_gecos != USER_MARK:
            raise RuntimeError(f"user {user} already exists and is not this suite's; refusing to touch it")
        subprocess.run(["userdel", "-r", "-f", user], capture_output=True)
    for directory, start in (("/etc/pam.d", f"sshd-{PREFIX}"), ("/etc/pam.d", f"sudo-{PREFIX}"),
                             ("/usr/sbin", f"sshd-{PREFIX}"), ("/etc/sudoers.d", PREFIX)):
        for name in os.listdir(directory):
            if name.startswith(start):
                os.unlink(os.path.join(directory, name))


def create_users(system):
    remove_leftovers()
    for user in TEST_USERS:
        # '*': no password (pam_unix refuses any), yet not locked ('!'), so key logins work.
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", "-p", "*", "-c", USER_MARK, user], check=True,
                       capture_output=True)
        system.users.append(user)
    subprocess.run(["chpasswd"], input=f"alice:{ALICE_UNIX_PASSWORD}\ndeploy:{DEPLOY_UNIX_PASSWORD}\n", text=True,
                   check=True)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path



class Env:
    """The IdP, the host key and the system fixtures shared by all cases."""

    def __init__(self, workdir, idp, system):
        self.workdir = workdir
        self.idp = idp
        self.system = system
        # A copy of the built module: a rebuild in the tree during the run cannot swap it
        # under a running sshd or sudo.
        self.module = os.path.join(workdir, "pam_oauth2.so")
        shutil.copy(MODULE, self.module)
        self.host_key = os.path.join(workdir, "ssh_host_ed25519_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.host_key], check=True)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    def module_config(self, **overrides):
        return endpoint_config(self.idp, **overrides)

    def pam_service(self, name, config, control="required", after=None):
        """Writes /etc/pam.d/NAME (our module by absolute path, then AFTER, then pam_unix
        account and session) and the module's config file. Returns the service name."""
        conf = write(os.path.join(self.workdir, f"{name}.conf"),
                     "".join(f"{k} = {v}\n" for k, v in config.items()))
        lines = ["# written by pam_oauth2's tests/e2e; removed when the run ends"]
        lines.append(f"auth {control} {self.module} config={conf}")
        lines += list(after or [])
        lines += ["account required pam_unix.so", "session required pam_unix.so"]
        self.system.add_path(f"/etc/pam.d/{name}")
        write(f"/etc/pam.d/{name}", "\n".join(lines) + "\n")
        return name

    def sshd(self, tag, config, control="required", after=None, options=None, environment=None):
        """Starts an sshd of our own whose PAM service is sshd-PREFIX-TAG: named by
        PAMServiceName where sshd has it (OpenSSH 9.8+; OpenSSH 10 ignores the program
        name), else by starting it through a symlink of that name (9.2 names the service
        after the program). ENVIRONMENT: variables added to sshd's (its re-executed
        children and the PAM modules they load inherit them)."""
        name = f"sshd-{PREFIX}-{tag}"
        self.pam_service(name, config, control=control, after=after)
        if sshd_has_pam_service_name():
            link = SSHD
        else:
            link = os.path.join("/usr/sbin", name)
            self.system.add_path(link)
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(SSHD, link)
        settings = {
            "ListenAddress": "127.0.0.1",
            "HostKey": self.host_key,
            "PidFile": os.path.join(self.workdir, f"{name}.pid"),
            "UsePAM": "yes",
            "KbdInteractiveAuthentication": "yes",
            "PasswordAuthentication": "no",
            "PubkeyAuthentication": "yes",
            "PermitRootLogin": "no",
            "AllowUsers": " ".join(TEST_USERS),
            "UseDNS": "no",
            "PrintMotd": "no",
            "PrintLastLog": "no",
            "LogLevel": "VERBOSE",
            "MaxStartups": "50",
        }
        if sshd_has_pam_service_name():
            settings["PAMServiceName"] = name
            # OpenSSH 9.8 also began to refuse, for a while, an address whose logins
            # failed: every client here is 127.0.0.1, and the suite fails logins on purpose.
            settings["PerSourcePenalties"] = "no"
        settings.update(options or {})
        for _ in range(5):  # another process may take the free port before sshd binds it
            port = closed_port()
            conf = write(os.path.join(self.workdir, f"{name}.sshd_config"),
                         f"Port {port}\n" + "".join(f"{k} {v}\n" for k, v in settings.items()))
            log = open(os.path.join(self.workdir, f"{name}.log"), "ab")
            proc = subprocess.Popen([link, "-D", "-e", "-f", conf], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log,
                                    env=dict(os.environ, **environment) if environment else None)
            log.close()
            self.system.daemons.append(proc)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.5).close()
                    return Sshd(name, port, proc, os.path.join(self.workdir, f"{name}.log"))
                except OSError:
                    time.sleep(0.05)
            proc.kill()
        raise RuntimeError(f"{name} did not start; log:\n{open(os.path.join(self.workdir, name + '.log')).read()}")


class Sshd:
    def __init__(self, name, port, proc, log):
        self.name, self.port, self.proc, self.log_path = name, port, proc, log

    def log(self):
        """sshd's own log (-e)."""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


# ------------------------------------------------------------------ clients

class Session:
    """What a client showed (the whole text, \\r removed), how it ended, and the codes."""

    def __init__(self):
        self.text = ""
        self.codes = []      # (url, user_code) in the order shown
        self.prompts = 0
        self.password_prompts = 0
        self.exit = None
        self.started = time.monotonic()
        self.ended = None

    def add_codes(self, chunk):
        for match in CODE_LINE.finditer(chunk):
            self.codes.append((match.group(1), match.group(2)))


def spawn(argv, on_prompt, timeout=90, password=None, env=None, typed=""):
    """Runs ARGV under a pseudo-terminal. At each "Press Enter after approving:" prompt,
    ON_PROMPT(session, user_code) runs, then TYPED and Enter are sent; "Password:" prompts
    get PASSWORD. Returns the Session once the program ends."""
    import pexpect
    session = Session()
    child = pexpect.spawn(argv[0], argv[1:], env=env or CLIENT_ENV, encoding="utf-8",
                          codec_errors="replace", timeout=timeout, dimensions=(60, 200))
    try:
        while True:
            try:
                index = child.expect([re.escape(ENTER_PROMPT), r"[Pp]assword( for \S+)?: ?$", pexpect.EOF])
            except pexpect.TIMEOUT:
                raise AssertionError(f"{argv[0]} showed nothing expected for {timeout} s; it showed:\n"
                                     f"{session.text}{child.before}") from None
            chunk = child.before + (child.after if isinstance(child.after, str) else "")
            session.text += chunk.replace("\r", "")
            session.add_codes(chunk)
            if index == 0:
                session.prompts += 1
                on_prompt(session, session.codes[-1][1] if session.codes else None)
                child.send(typed + "\r")
            elif index == 1:
                session.password_prompts += 1
                if password is None:
                    raise AssertionError(f"unexpected password prompt:\n{session.text}")
                child.sendline(password)
            else:
                break
    finally:
        child.close(force=True)
        session.ended = time.monotonic()
    session.exit = child.exitstatus if child.exitstatus is not None else -(child.signalstatus or 0)
    if TRANSCRIPTS_DIR:  # every client's text, for a look with KEEP_TEST_DIR=1
        with SAVE_LOCK:
            SAVED.append(1)
            name = f"{len(SAVED):02d}-{os.path.basename(argv[0])}.txt"
        with open(os.path.join(TRANSCRIPTS_DIR[0], name), "w", encoding="utf-8") as f:
            f.write(f"$ {' '.join(argv)}\n{session.text}\n[exit {session.exit}]\n")
    return session


def ssh_argv(sshd, user, command="id -un", methods="keyboard-interactive", extra=()):
    return [SSH, "-p", str(sshd.port), *SSH_OPTIONS, "-o", f"PreferredAuthentications={methods}",
            *extra, f"{user}@127.0.0.1", command]


def approving(env, who, decision="allow"):
    def act(session, user_code):
        if user_code is None:
            raise AssertionError(f"prompt without a code:\n{session.text}")
        env.idp.approve(user_code, who, f"{who}-pw", decision)
    return act


def leave_unapproved(seconds=0.0):
    def act(session, user_code):
        time.sleep(seconds)
    return act


def last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


# ------------------------------------------------------------------ QR decoding

def qr_lines(text):
    """The QR lines shown after "Or scan:" (up to the "Approve only" line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("Or scan:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("Approve only"))
    return lines[start + 1:end]


def modules_from_half_blocks(lines):
    """Rows of booleans (True = light) from UTF-8 half blocks: each character is one
    module wide and two tall; light modules are drawn."""
    halves = {"\u2588": (True, True), "\u2580": (True, False), "\u2584": (False, True), " ": (False, False)}
    width = max(len(line) for line in lines)
    rows = []
    for line in lines:
        top, bottom = [], []
        for ch in line.ljust(width):
            if ch not in halves:
                raise AssertionError(f"unexpected character {ch!r} in the QR text")
            t, b = halves[ch]
            top.append(t)
            bottom.append(b)
        rows += [top, bottom]
    if not any(rows[-1]):
        rows.pop()  # an odd number of module rows: the last line's lower half is padding
    return rows


def modules_from_ascii(lines):
    """ASCII mode: a light module is "##", a dark one two spaces; one line per row."""
    width = max(len(line) for line in lines)
    rows = []
    for line in lines:
        line = line.ljust(width)
        if width % 2 or any(line[i:i + 2] not in ("##", "  ") for i in range(0, width, 2)):
            raise AssertionError(f"unexpected ASCII QR line {line!r}")
        rows.append([line[i:i + 2] == "##" for i in range(0, width, 2)])
    return rows


def write_png(path, rows, scale=8, border=4):
    """A grayscale PNG of ROWS (True = light = white), each module SCALE pixels, with
    BORDER extra light modules around it. Standard library only."""
    width = len(rows[0]) + 2 * border
    padded = [[True] * width] * border + [[True] * border + r + [True] * border for r in rows] + \
        [[True] * width] * border
    raw = bytearray()
    for row in padded:
        line = bytes(255 if light else 0 for light in row for _ in range(scale))
        for _ in range(scale):
            raw += b"\x00" + line
    height = len(padded) * scale

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width * scale, height, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def check_quiet_zone(rows, what):
    """A light border of 4 modules on every side, around a square symbol."""
    size = len(rows[0])
    if len(rows) != size or any(len(row) != size for row in rows):
        raise AssertionError(f"{what}: not square ({len(rows)} rows of {size} modules)")
    if not all(all(row) for row in rows[:4] + rows[-4:]) or not all(all(row[:4] + row[-4:]) for row in rows):
        raise AssertionError(f"{what}: no 4-module light quiet zone on every side")


def zbar_decode(path):
    result = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"zbarimg found no code in {path} (exit {result.returncode}): {result.stderr}")
    return result.stdout.rstrip("\n")


# ------------------------------------------------------------------ cases

def make_cases(env):
    shared = {}  # results one case hands to another (case 1 → QR and transcript)
    done_case1 = threading.Event()

    def test_ssh_client_approved_shows_context_code_and_qr():
        try:
            sshd = env.sshd("basic", env.module_config())
            session = spawn(ssh_argv(sshd, "alice"), approving(env, "alice"))
            shared["case1"] = (session, sshd)
        finally:
            done_case1.set()  # the QR and transcript cases wait for this one
        host = socket.gethostname()
        Check.contains(session.text, f"Approve sign-in as alice on {host} ({sshd.name}) from 127.0.0.1.",
                       "context line")
        Check.equal(len(session.codes), 1, "codes shown")
        url, code = session.codes[0]
        Check.equal(url, f"{env.idp.issuer}/device", "verification URL shown")
        Check.contains(session.text, "Or scan:", "QR heading")
        Check.contains(session.text, "\u2588\u2588\u2588\u2588", "UTF-8 half-block QR")
        Check.contains(session.text, "Approve only if you started this sign-in yourself.", "warning")
        Check.equal(session.prompts, 1, "prompts")
        Check.equal(last_line(session.text), "alice", "id -un in the session")
        Check.equal(session.exit, 0, "ssh exit status")

    def test_paramiko_prompt_structure_and_success():
        import paramiko
        sshd = env.sshd("paramiko", env.module_config())
        seen = []

        def handler(title, instructions, prompts):
            seen.append((title, instructions, list(prompts)))
            if not prompts:
                return []
            match = CODE_LINE.search(prompts[0][0])
            if match:
                env.idp.approve(match.group(2), "alice", "alice-pw", "allow")
            return [""] * len(prompts)

        transport = paramiko.Transport(("127.0.0.1", sshd.port))
        try:
            transport.start_client(timeout=20)
            transport.auth_interactive("alice", handler)
            channel = transport.open_session(timeout=20)
            channel.exec_command("id -un")
            output = channel.makefile("rb").read().decode("utf-8", "replace")
            status = channel.recv_exit_status()
        finally:
            transport.close()
        rounds = [s for s in seen if s[2]]
        Check.equal(len(rounds), 1, f"keyboard-interactive rounds with prompts ({seen!r})")
        title, instructions, prompts = rounds[0]
        Check.equal(len(prompts), 1, "prompts in the round")
        text, echo = prompts[0]
        # No echo: people used to a password prompt type their password here.
        Check.equal(echo, False, "echo of the Enter prompt")
        if not text.endswith("\n" + ENTER_PROMPT):
            raise AssertionError(f"the prompt does not end with the Enter prompt: {text!r}")
        lines = text.split("\n")
        Check.equal(lines[0], f"Approve sign-in as alice on {socket.gethostname()} ({sshd.name}) from 127.0.0.1.",
                    "first line of the prompt")
        if not CODE_LINE.fullmatch(lines[1]):
            raise AssertionError(f"second line is not the code line: {lines[1]!r}")
        Check.equal(lines[2], "Or scan:", "third line")
        Check.equal(lines[-2], "Approve only if you started this sign-in yourself.", "line before the prompt")
        Check.equal(output.strip(), "alice", "id -un over paramiko")
        Check.equal(status, 0, "exit status")

    def test_paramiko_sees_the_reason_of_a_refusal():
        # What sshd really sends after a failed round: one more keyboard-interactive request
        # with no prompts whose instruction holds the module's message. paramiko does not
        # retry. deploy, approved by alice, and alice, denied by alice.
        import paramiko
        sshd = env.sshd("paramiko-refused", env.module_config())
        for user, approver, decision, reason in (
                ("deploy", "alice", "allow", "Sign-in not authorized for deploy."),
                ("alice", "alice", "deny", "Sign-in was denied at the identity provider.")):
            seen = []

            def handler(title, instructions, prompts):
                seen.append((title, instructions, list(prompts)))
                match = CODE_LINE.search(prompts[0][0]) if prompts else None
                if match:
                    env.idp.approve(match.group(2), approver, f"{approver}-pw", decision)
                return [""] * len(prompts)

            transport = paramiko.Transport(("127.0.0.1", sshd.port))
            try:
                transport.start_client(timeout=20)
                try:
                    transport.auth_interactive(user, handler)
                    raise AssertionError(f"{user} was let in")
                except paramiko.AuthenticationException:
                    pass
            finally:
                transport.close()
            Check.equal(len(seen), 2, f"keyboard-interactive requests for {user} ({seen!r})")
            Check.equal(seen[1], ("", reason + "\n", []), f"the request after the refusal of {user}")

    def refused_with_ssh(tag, config, on_prompt, reason):
        sshd = env.sshd(tag, config)
        session = spawn(ssh_argv(sshd, "alice", extra=["-o", "NumberOfPasswordPrompts=1"]), on_prompt)
        # sshd sends the module's messages of a failed round as the instruction of one more
        # keyboard-interactive request without prompts; the client prints it, then gives up.
        after = session.text[session.text.rindex(ENTER_PROMPT) + len(ENTER_PROMPT):].splitlines()
        after = [line for line in after if line.strip()]  # the instruction ends in an empty line
        # The methods sshd still offers: keyboard-interactive is gone when the module returned
        # PAM_MAXTRIES (sshd then stops offering it on the connection).
        if len(after) != 2 or after[0] != reason or not re.fullmatch(
                r"alice@127\.0\.0\.1: Permission denied \(publickey(,keyboard-interactive)?\)\.", after[1]):
            raise AssertionError(f"what the ssh client shows after Enter: expected {reason!r} and a refusal, "
                                 f"got {after!r}")
        Check.absent(session.text, "\nalice\n", "a session")
        Check.equal(session.exit, 255, "ssh exit status")
        return session

    def test_ssh_denial_shows_the_reason():
        refused_with_ssh("deny", env.module_config(), approving(env, "alice", "deny"),
                         "Sign-in was denied at the identity provider.")

    def test_ssh_expiry_shows_the_reason():
        refused_with_ssh("expiry", env.module_config(client_id="pam-short"), leave_unapproved(5.5),
                         "Sign-in was not approved in time.")

    def test_ssh_wrong_user_approval_is_refused():
        refused_with_ssh("wronguser", env.module_config(), approving(env, "bob"),
                         "Sign-in not authorized for alice.")

    def test_ssh_four_eyes_shows_the_second_code_with_the_next_prompt():
        # sshd holds info messages back until the next prompt (OpenSSH bug 2876): each
        # round's code arrives with its own Enter prompt.
        sshd = env.sshd("foureyes", env.module_config(issuer=env.idp.issuer, scope="openid profile groups",
                                                       approver_group="sre-oncall", require_amr="mfa"))
        turns = []

        def act(session, user_code):
            who = ("alice", "dave")[min(len(turns), 1)]
            turns.append(who)
            env.idp.approve(user_code, who, f"{who}-pw", "allow", otp=f"{who}-otp")
        session = spawn(ssh_argv(sshd, "alice"), act)
        Check.equal(len(session.codes), 2, "codes shown")
        Check.equal(session.prompts, 2, "prompts")
        first = session.text.find("Approve sign-in as alice on")
        ask = session.text.find(f"Ask a member of sre-oncall to approve: Open {session.codes[1][0]} and enter the "
                                f"code: {session.codes[1][1]}")
        if not 0 <= first < ask:
            raise AssertionError(f"the requester's code, then the approver's, in that order:\n{session.text}")
        Check.equal(last_line(session.text), "alice", "id -un in the session")
        Check.equal(session.exit, 0, "ssh exit status")

    def test_idp_down_falls_through_to_pam_unix():
        port = closed_port()
        base = f"https://127.0.0.1:{port}"
        config = env.module_config(device_authorization_endpoint=f"{base}/device/auth",
                                   token_endpoint=f"{base}/token", userinfo_endpoint=f"{base}/me")
        sshd = env.sshd("fallback", config, control="[success=done authinfo_unavail=ignore default=die]",
                        after=["auth required pam_unix.so"])
        session = spawn(ssh_argv(sshd, "alice"), leave_unapproved(), password=ALICE_UNIX_PASSWORD)
        Check.contains(session.text, "The identity provider cannot be reached; try again later.", "outage message")
        Check.equal(session.codes, [], "codes shown")
        Check.equal(last_line(session.text), "alice", "id -un after the pam_unix fallback")
        Check.equal(session.exit, 0, "ssh exit status")

    def test_idp_down_with_required_is_refused():
        port = closed_port()
        base = f"https://127.0.0.1:{port}"
        config = env.module_config(device_authorization_endpoint=f"{base}/device/auth",
                                   token_endpoint=f"{base}/token", userinfo_endpoint=f"{base}/me")
        sshd = env.sshd("required", config, after=["auth required pam_unix.so"])
        # Even the right Unix password does not help when our module is required.
        session = spawn(ssh_argv(sshd, "alice"), leave_unapproved(), password=ALICE_UNIX_PASSWORD)
        # Each of the client's three rounds: the outage message before pam_unix's prompt.
        round_text = "(alice@127.0.0.1) The identity provider cannot be reached; try again later.\nPassword: "
        Check.equal(session.text.count(round_text), 3, f"outage message with each password prompt in:\n{session.text}")
        Check.equal(session.codes, [], "codes shown")
        Check.contains(session.text, "Permission denied", "ssh client refusal")
        Check.equal(session.exit, 255, "ssh exit status")
        Check.absent(session.text, "\nalice\n", "a session")

    def publickey_setup():
        key = os.path.join(env.workdir, "alice_key")
        if not os.path.exists(key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
            home = pwd.getpwnam("alice").pw_dir
            uid, gid = pwd.getpwnam("alice").pw_uid, pwd.getpwnam("alice").pw_gid
            os.makedirs(f"{home}/.ssh", mode=0o700, exist_ok=True)
            shutil.copy(key + ".pub", f"{home}/.ssh/authorized_keys")
            for path in (f"{home}/.ssh", f"{home}/.ssh/authorized_keys"):
                os.chown(path, uid, gid)
            os.chmod(f"{home}/.ssh/authorized_keys", 0o600)
        return key

    def test_publickey_plus_approval():
        key = publickey_setup()
        sshd = env.sshd("twofactor", env.module_config(),
                        options={"AuthenticationMethods": "publickey,keyboard-interactive"})
        extra = ["-i", key, "-o", "IdentitiesOnly=yes", "-o", "NumberOfPasswordPrompts=1"]
        # The key alone: sshd asks for the second method, which is denied.
        denied = spawn(ssh_argv(sshd, "alice", methods="publickey,keyboard-interactive", extra=extra),
                       approving(env, "alice", "deny"))
        Check.equal(len(denied.codes), 1, "codes shown after the key (denied)")
        Check.contains(denied.text, "Permission denied", "refused with only the key")
        Check.equal(denied.exit, 255, "ssh exit status with only the key")
        # The key alone without keyboard-interactive at all: refused after partial success.
        keyonly = spawn(ssh_argv(sshd, "alice", methods="publickey", extra=extra), leave_unapproved())
        Check.contains(keyonly.text, "Permission denied", "refused with the key only")
        Check.equal(keyonly.codes, [], "no code without keyboard-interactive")
        # Key plus approval.
        approved = spawn(ssh_argv(sshd, "alice", methods="publickey,keyboard-interactive", extra=extra),
                         approving(env, "alice"))
        Check.equal(last_line(approved.text), "alice", "id -un with key and approval")
        Check.equal(approved.exit, 0, "ssh exit status with key and approval")
        Check.contains(sshd.log(), "Partial publickey for alice", "sshd log: the key was a first factor")

    def sshd_processes(name):
        """Processes of sshd NAME: sshd keeps the program name in the titles it sets
        ("NAME: alice [priv]", "NAME: alice [pam]", ...)."""
        found = {}
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/cmdline") as f:
                        cmdline = f.read().replace("\0", " ").strip()
                except OSError:
                    continue
                if cmdline.startswith(f"{name}:") or cmdline.startswith(f"/usr/sbin/{name} "):
                    found[int(pid)] = cmdline
        return found

    def test_login_grace_time_ends_polling():
        # pam-es256 is used by no other case: its /token polls are this case's alone.
        sshd = env.sshd("grace", env.module_config(client_id="pam-es256", prompt="none", timeout="60"),
                        options={"LoginGraceTime": "5"})
        session = spawn(ssh_argv(sshd, "alice"), leave_unapproved(), timeout=40)
        marker = env.idp.request("GET", "/.well-known/openid-configuration")
        took = session.ended - session.started
        if not 4 <= took <= 15:
            raise AssertionError(f"the connection lasted {took:.1f} s; LoginGraceTime is 5 s:\n{session.text}")
        Check.equal(session.codes, [], "nothing reaches the client without a prompt (OpenSSH bug 2876)")
        Check.contains(session.text, f"Connection closed by 127.0.0.1 port {sshd.port}", "what the client shows")
        time.sleep(4)
        lingering = {pid: cmd for pid, cmd in sshd_processes(sshd.name).items() if pid != sshd.proc.pid}
        Check.equal(lingering, {}, "processes of the login left behind")
        log = env.idp.log()
        end_ms = max(e["t_ms"] for e in log if e["path"] == "/.well-known/openid-configuration")
        polls = [e for e in log if e["path"] == "/token" and e.get("client_id") == "pam-es256"]
        if not polls:
            raise AssertionError("the module never polled: it should have until the connection ended")
        late = [e for e in polls if e["t_ms"] > end_ms + 500]
        Check.equal(late, [], f"polls after the connection ended (at {end_ms:.0f} ms)")
        print(f"# LoginGraceTime 5: the connection lasted {took:.1f} s; {len(polls)} polls, the last "
              f"{end_ms - polls[-1]['t_ms']:.0f} ms before the connection ended; none after", flush=True)
        del marker

    def test_ssh_client_gives_up_after_a_denial():
        # The ssh client tries keyboard-interactive up to 3 times (NumberOfPasswordPrompts);
        # after an explicit "no" the module must not hand out new codes on this connection.
        # pam-wrong-aud (without a resource a plain public client) is this case's alone.
        sshd = env.sshd("retry", env.module_config(client_id="pam-wrong-aud"))
        session = spawn(ssh_argv(sshd, "alice"), approving(env, "alice", "deny"))
        auths = [e for e in env.idp.log() if e["path"] == "/device/auth" and e.get("client_id") == "pam-wrong-aud"]
        Check.contains(session.text, "Sign-in was denied at the identity provider.", "denial reason")
        Check.contains(session.text, "Permission denied", "ssh client refusal")
        Check.equal(session.exit, 255, "ssh exit status")
        if len(session.codes) != 1 or session.prompts != 1 or len(auths) != 1:
            raise AssertionError(f"after a denial: {len(session.codes)} codes shown, {session.prompts} Enter prompts, "
                                 f"{len(auths)} /device/auth requests (expected 1 each); the client showed:\n"
                                 f"{session.text}")

    # ---------------------------------------------------------------- sudo
    sudo_service = f"sudo-{PREFIX}"
    sudo_fallback_service = f"sudo-{PREFIX}-fallback"
    sudo_four_eyes_service = f"sudo-{PREFIX}-four-eyes"
    sudo_lock = threading.Lock()

    def sudo_setup():
        with sudo_lock:  # both sudo cases run at once; the first one writes the files
            if "sudo" not in shared:
                write_sudo_files()
                shared["sudo"] = True

    def write_sudo_files():
        env.pam_service(sudo_service, env.module_config(scope="openid profile sudo", require_scope="sudo"))
        # The README's prod fleet: the requester in admins, a second person in sre-oncall,
        # MFA for both. Reached as `sudo -u deploy` (Defaults>deploy), so alice's other
        # sudo case runs beside it unchanged.
        env.pam_service(sudo_four_eyes_service, env.module_config(
            issuer=env.idp.issuer, scope="openid profile groups sudo", require_scope="sudo", require_group="admins",
            require_amr="mfa", approver_group="sre-oncall"))
        sudoers = f"/etc/sudoers.d/{PREFIX}"
        text = (f"# written by pam_oauth2's tests/e2e; removed when the run ends\n"
                f"Defaults:alice,bob pam_service={sudo_service}, pam_login_service={sudo_service}, "
                f"timestamp_timeout=0, !lecture, !mail_badpass\n"
                f"Defaults:deploy pam_service={sudo_fallback_service}, pam_login_service={sudo_fallback_service}, "
                f"timestamp_timeout=0, !lecture, !mail_badpass\n"
                f"Defaults>deploy pam_service={sudo_four_eyes_service}, pam_login_service={sudo_four_eyes_service}, "
                f"timestamp_timeout=0, !lecture, !mail_badpass\n"
                f"alice,bob,deploy ALL=(root) /usr/bin/id\n"
                f"alice ALL=(deploy) /usr/bin/id\n")
        env.system.add_path(sudoers)
        write(sudoers + ".tmp", text, 0o440)
        check = subprocess.run(["visudo", "-c", "-f", sudoers + ".tmp"], capture_output=True, text=True)
        if check.returncode != 0:
            os.unlink(sudoers + ".tmp")
            raise AssertionError(f"visudo refused the test sudoers file: {check.stdout}{check.stderr}")
        os.rename(sudoers + ".tmp", sudoers)

    def sudo_as(user, on_prompt, typed="", password=None):
        return spawn(["/usr/bin/su", "--pty", "-", user, "-c", "/usr/bin/sudo /usr/bin/id -un"], on_prompt,
                     typed=typed, password=password)

    def test_sudo_approval_denial_and_scope():
        sudo_setup()
        host = socket.gethostname()
        # Out of habit alice types her password at the prompt: the terminal must not show it.
        approved = sudo_as("alice", approving(env, "alice"), typed=ALICE_UNIX_PASSWORD)
        Check.absent(approved.text, ALICE_UNIX_PASSWORD, "what alice typed at the Enter prompt")
        Check.contains(approved.text, f"Approve sign-in as alice on {host} ({sudo_service}).", "context line")
        Check.equal(len(approved.codes), 1, "codes shown (sudo passes PAM_SILENT)")
        Check.contains(approved.text, "Or scan:", "QR heading")
        Check.equal(last_line(approved.text), "root", "sudo id -un")
        Check.equal(approved.exit, 0, "sudo exit status")

        denied = sudo_as("alice", approving(env, "alice", "deny"))
        Check.contains(denied.text, "Sign-in was denied at the identity provider.", "denial reason")
        Check.equal(len(denied.codes), 1, "codes shown over sudo's three tries")
        Check.absent(denied.text, "\nroot\n", "a command run as root")
        Check.equal(denied.text.count("Sign-in was refused earlier; not asking again."), 2,
                    "sudo's two retries refused at once")
        Check.contains(denied.text, "sudo: 3 incorrect password attempts", "sudo gives up")
        if denied.exit == 0:
            raise AssertionError(f"sudo succeeded after a denial:\n{denied.text}")

        bob = sudo_as("bob", approving(env, "bob"))
        Check.contains(bob.text, "Sign-in not authorized for bob.", "scope refusal")
        Check.equal(len(bob.codes), 1, "codes shown to bob")
        Check.absent(bob.text, "\nroot\n", "a command run as root")
        if bob.exit == 0:
            raise AssertionError(f"bob got root without the sudo scope:\n{bob.text}")

    def four_eyes_sudo(approvers):
        """alice runs `sudo -u deploy id -un` through the four-eyes stack; the Nth code
        shown is approved by the Nth of APPROVERS (login name, with the second factor)."""
        turns = []

        def act(session, user_code):
            if user_code is None:
                raise AssertionError(f"prompt without a code:\n{session.text}")
            who = approvers[min(len(turns), len(approvers) - 1)]
            turns.append(user_code)
            env.idp.approve(user_code, who, f"{who}-pw", "allow", otp=f"{who}-otp")
        return spawn(["/usr/bin/su", "--pty", "-", "alice", "-c", "/usr/bin/sudo -u deploy /usr/bin/id -un"], act)

    def test_sudo_four_eyes_shows_both_codes_in_order():
        sudo_setup()
        host = socket.gethostname()
        approved = four_eyes_sudo(["alice", "dave"])
        Check.equal(len(approved.codes), 2, "codes shown")
        if approved.codes[0][1] == approved.codes[1][1]:
            raise AssertionError(f"the second code is the first one again:\n{approved.text}")
        first = approved.text.find(f"Approve sign-in as alice on {host} ({sudo_four_eyes_service}).")
        second = approved.text.find(f"A second person must approve alice's sign-in on {host} "
                                    f"({sudo_four_eyes_service}).")
        ask = approved.text.find(f"Ask a member of sre-oncall to approve: Open {approved.codes[1][0]} and enter the "
                                 f"code: {approved.codes[1][1]}")
        if not 0 <= first < second < ask:
            raise AssertionError(f"the requester's code, then the approver's, in that order:\n{approved.text}")
        Check.equal(last_line(approved.text), "deploy", "sudo -u deploy id -un")
        Check.equal(approved.exit, 0, "sudo exit status")

        # alice approving her own second code is one person, not two.
        own = four_eyes_sudo(["alice", "alice"])
        Check.equal(len(own.codes), 2, "codes shown (own second approval)")
        Check.contains(own.text, "Sign-in not authorized for alice.", "refusal")
        Check.absent(own.text, "\ndeploy\n", "a command run as deploy")
        if own.exit == 0:
            raise AssertionError(f"sudo succeeded on the requester's own second approval:\n{own.text}")

    def fallback_stack(config):
        """deploy's sudo stack: the module, and the user's own password should it report an
        outage (the stack conf/pam.d once suggested for sudo)."""
        env.pam_service(sudo_fallback_service, config, control="[success=done authinfo_unavail=ignore default=die]",
                        after=["auth required pam_unix.so"])

    def sudo_process(invoker):
        """The pid of `sudo /usr/bin/id -un` run by INVOKER (its real uid), or None."""
        uid = pwd.getpwnam(invoker).pw_uid
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                with open(f"/proc/{pid}/status") as f:
                    status = dict(line.split(":", 1) for line in f if ":" in line)
            except OSError:
                continue
            if argv[:3] == [b"/usr/bin/sudo", b"/usr/bin/id", b"-un"] and int(status["Uid"].split()[0]) == uid:
                return int(pid)
        return None

    def resume_chain(pid):
        """SIGCONT to PID and its ancestors up to init: su stops itself when its child stops."""
        while pid > 1:
            try:
                os.kill(pid, signal.SIGCONT)
                with open(f"/proc/{pid}/status") as f:
                    pid = int(next(line for line in f if line.startswith("PPid:")).split()[1])
            except (OSError, StopIteration):
                return

    def refused_without_fallback(session, what):
        Check.equal(session.password_prompts, 0, f"{what}: password prompts (the pam_unix fallback)")
        Check.contains(session.text, "The identity provider cannot be reached; try again later.", what)
        Check.absent(session.text, "\nroot\n", f"{what}: a command run as root")
        if session.exit == 0:
            raise AssertionError(f"{what}: sudo succeeded:\n{session.text}")

    def test_sudo_outage_never_reaches_a_password_fallback():
        # Under sudo the invoking user can fake an outage (stop sudo mid-request past
        # http_timeout), so the module never reports one there: no stack falls through.
        sudo_setup()
        port = closed_port()
        fallback_stack(env.module_config(device_authorization_endpoint=f"https://127.0.0.1:{port}/device/auth",
                                         token_endpoint=f"https://127.0.0.1:{port}/token"))
        down = sudo_as("deploy", leave_unapproved(), password=DEPLOY_UNIX_PASSWORD)
        refused_without_fallback(down, "IdP down under sudo")

        certs = FaultCerts(os.path.join(env.workdir, "fault-certs"))
        server = FaultServer(certs)
        try:
            # The first device authorization answers after 1 s (inside http_timeout); sudo's
            # retries find the connection closed (an outage each).
            server.script = {"/device/auth": [{"delay": 1.0, "body": {
                "device_code": "dc-stopped", "user_code": "STOP-PEDX", "verification_uri": server.url("/device"),
                "expires_in": 300, "interval": 1}}, {"action": "close_now"}]}
            fallback_stack(env.module_config(device_authorization_endpoint=server.url("/device/auth"),
                                             token_endpoint=server.url("/token"), ca_file=certs.ca_file,
                                             http_timeout="3"))
            stopped = []

            def stop_mid_request():
                deadline = time.monotonic() + 30
                while not server.hits("/device/auth") and time.monotonic() < deadline:
                    time.sleep(0.01)
                pid = sudo_process("deploy")
                if pid is None:
                    return
                # deploy does it: sudo runs with deploy's real uid while it authenticates.
                subprocess.run(["kill", "-STOP", str(pid)], user="deploy", check=True)
                stopped.append(pid)
                time.sleep(3 + 2)
                subprocess.run(["kill", "-CONT", str(pid)], user="deploy", check=True)
                resume_chain(pid)

            stopper = threading.Thread(target=stop_mid_request)
            stopper.start()
            session = sudo_as("deploy", leave_unapproved(), password=DEPLOY_UNIX_PASSWORD)
            stopper.join()
            Check.equal(len(stopped), 1, "sudo stopped by its invoker mid-request")
            refused_without_fallback(session, "sudo stopped past http_timeout")
        finally:
            server.close()

    def test_sudo_stdin_without_terminal():
        # sudo -S with no terminal at all: the prompt goes to stderr, the info (the code)
        # to stdout. What does the user get to see before answering?
        sudo_setup()
        proc = subprocess.Popen(["/usr/bin/su", "-", "alice", "-c", "/usr/bin/sudo -S /usr/bin/id -un"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, env=CLIENT_ENV)
        out, err = bytearray(), bytearray()
        deadline = time.monotonic() + 30
        while ENTER_PROMPT.encode() not in err and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stdout, proc.stderr], [], [], 0.5)
            for stream in ready:
                data = os.read(stream.fileno(), 65536)
                (out if stream is proc.stdout else err).extend(data)
        Check.contains(err.decode(), ENTER_PROMPT, "sudo -S prompt on stderr")
        time.sleep(0.5)
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if not ready:
                break
            data = os.read(proc.stdout.fileno(), 65536)
            if not data:
                break
            out.extend(data)
        shown = out.decode("utf-8", "replace")
        match = CODE_LINE.search(shown) or CODE_LINE.search(err.decode("utf-8", "replace"))
        if match is None:
            os.killpg(proc.pid, signal.SIGKILL)  # su and the sudo under it (their own session)
            proc.communicate()
            raise AssertionError(f"sudo -S: no code visible before the prompt; stdout {shown!r}, stderr {err!r}")
        # Seen with sudo 1.9.13: stderr holds the prompt alone; the info lines (context,
        # code, QR, warning) are on stdout before the prompt, not held back until exit.
        Check.equal(err.decode("utf-8", "replace"), ENTER_PROMPT, "sudo -S stderr")
        Check.contains(shown, "Or scan:\n\u2588\u2588\u2588", "the QR on stdout before the prompt")
        Check.contains(shown, "Approve only if you started this sign-in yourself.", "the warning on stdout")
        env.idp.approve(match.group(2), "alice", "alice-pw", "allow")
        rest_out, rest_err = proc.communicate(b"\n", timeout=60)
        out.extend(rest_out)
        if TRANSCRIPTS_DIR:
            with open(os.path.join(TRANSCRIPTS_DIR[0], "sudo-S.txt"), "w", encoding="utf-8") as f:
                f.write(f"stdout before the prompt:\n{shown}\nstderr:\n{err.decode('utf-8', 'replace')}\n"
                        f"whole stdout:\n{out.decode('utf-8', 'replace')}\n[exit {proc.returncode}]\n")
        Check.equal(last_line(out.decode()), "root", "sudo -S id -un")
        Check.equal(proc.returncode, 0, "sudo -S exit status")

    # ---------------------------------------------------------------- QR and transcript
    def test_qr_codes_scan():
        if not done_case1.wait(180) or "case1" not in shared:
            raise AssertionError("case 1 produced no transcript")
        session, _ = shared["case1"]
        url, code = session.codes[0]
        expected = f"{url}?user_code={code}"
        png = os.path.join(env.workdir, "qr-utf8.png")
        rows = modules_from_half_blocks(qr_lines(session.text))
        check_quiet_zone(rows, "UTF-8 QR")
        write_png(png, rows)
        utf8 = zbar_decode(png)
        # ASCII mode, on a login of its own (another code).
        sshd = env.sshd("ascii", env.module_config(qr="ascii"))
        ascii_session = spawn(ssh_argv(sshd, "alice"), approving(env, "alice"))
        Check.equal(last_line(ascii_session.text), "alice", "id -un with qr=ascii")
        a_url, a_code = ascii_session.codes[0]
        png = os.path.join(env.workdir, "qr-ascii.png")
        rows = modules_from_ascii(qr_lines(ascii_session.text))
        check_quiet_zone(rows, "ASCII QR")
        write_png(png, rows)
        ascii = zbar_decode(png)
        Check.equal(ascii, f"{a_url}?user_code={a_code}", "ASCII QR content")
        Check.equal(utf8, expected, "UTF-8 QR content")
        # What the IdP itself answers as verification_uri_complete has the same shape.
        status, body = env.idp.request("POST", "/device/auth", {"client_id": "pam-public", "scope": "openid"})
        Check.equal(status, 200, "device authorization")
        Check.equal(body["verification_uri_complete"], f"{body['verification_uri']}?user_code={body['user_code']}",
                    "the IdP's verification_uri_complete")

    def test_transcript():
        if not done_case1.wait(180) or "case1" not in shared:
            raise AssertionError("case 1 produced no transcript")
        session, _ = shared["case1"]
        # The client's notice about the throw-away known_hosts is no part of the login.
        text = "\n".join(line for line in session.text.split("\n") if not line.startswith("Warning: Permanently added"))
        text = text[:text.rindex(ENTER_PROMPT) + len(ENTER_PROMPT)] + "\n" + text[text.rindex(ENTER_PROMPT) +
                                                                               len(ENTER_PROMPT):].lstrip("\n")
        if os.environ.get("UPDATE_TRANSCRIPT"):
            header = ("$ ssh -p PORT -o PreferredAuthentications=keyboard-interactive alice@127.0.0.1 id -un\n")
            with open(TRANSCRIPT, "w", encoding="utf-8") as f:
                f.write(header + text.rstrip("\n") + "\n")
            return
        if not os.path.exists(TRANSCRIPT):
            raise AssertionError(f"{TRANSCRIPT} is missing: run with UPDATE_TRANSCRIPT=1")

        def shape(t):
            # Everything but the run-specific parts: host, port, service, code, QR drawing.
            out = []
            for line in t.splitlines():
                if line.startswith("$ "):
                    continue
                if set(line) <= set("\u2588\u2580\u2584 ") and line:
                    line = "QR"
                line = re.sub(r"^Approve sign-in as (\S+) on \S+ \(\S+\) from (\S+)\.$",
                              r"Approve sign-in as \1 on HOST (SERVICE) from \2.", line)
                line = CODE_LINE.sub("Open URL and enter the code: CODE", line)
                out.append(line)
            return [x for i, x in enumerate(out) if not (x == "QR" and i and out[i - 1] == "QR")]

        with open(TRANSCRIPT, encoding="utf-8") as f:
            committed = f.read()
        Check.equal(shape(text), shape(committed), "the login's text against tests/e2e/transcript.txt")

    test_login_grace_time_ends_polling.serial = True
    return [
        test_ssh_client_approved_shows_context_code_and_qr,
        test_paramiko_prompt_structure_and_success,
        test_paramiko_sees_the_reason_of_a_refusal,
        test_ssh_denial_shows_the_reason,
        test_ssh_expiry_shows_the_reason,
        test_ssh_wrong_user_approval_is_refused,
        test_ssh_four_eyes_shows_the_second_code_with_the_next_prompt,
        test_idp_down_falls_through_to_pam_unix,
        test_idp_down_with_required_is_refused,
        test_publickey_plus_approval,
        test_login_grace_time_ends_polling,
        test_ssh_client_gives_up_after_a_denial,
        test_sudo_approval_denial_and_scope,
        test_sudo_four_eyes_shows_both_codes_in_order,
        test_sudo_stdin_without_terminal,
        test_sudo_outage_never_reaches_a_password_fallback,
        test_qr_codes_scan,
        test_transcript,
    ]


LOCK_FILE = "/run/lock/pam_oauth2-e2e.lock"


def take_machine_lock(seconds=600):
    """Users alice, bob and deploy, and the names in /etc, are the machine's: two runs at
    once (two `make check` in two trees) must take turns."""
    os.makedirs(os.path.dirname(LOCK_FILE), exist_ok=True)
    lock = open(LOCK_FILE, "w")
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"another run holds {LOCK_FILE} for more than {seconds} s")
            time.sleep(0.5)


def main():
    reason = skip_reason()
    if reason:
        return missing_prerequisite(reason)
    lock = take_machine_lock()  # held until the process ends (after the cleanup below)
    workdir = tempfile.mkdtemp(prefix="pam_oauth2-e2e-")
    system = System(workdir)
    atexit.register(system.cleanup)

    def interrupted(signum, frame):
        raise SystemExit(128 + signum)  # runs the finally below: nothing is left behind
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, interrupted)
    idp = None
    try:
        idp = start_idp(workdir)
        create_users(system)
        env = Env(workdir, idp, system)
        TRANSCRIPTS_DIR.append(os.path.join(workdir, "clients"))
        os.makedirs(TRANSCRIPTS_DIR[0])
        return run_tap(make_cases(env), parallel=6)
    except Exception:  # noqa: BLE001
        print("Bail out! " + traceback.format_exc().strip().splitlines()[-1])
        traceback.print_exc()
        return 1
    finally:
        system.cleanup()
        if idp is not None:
            idp.stop()
        if os.environ.get("KEEP_TEST_DIR"):
            print(f"# kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        lock.close()  # the next run may start


if __name__ == "__main__":
    sys.exit(main())
