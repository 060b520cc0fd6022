#!/usr/bin/python3
"""The user's side of the device flow against the test IdP, over plain HTTP.

Enters the user code, confirms it, signs in and allows or denies, the way a
person with a browser would (one cookie jar, redirects followed, TLS verified
against the test CA). Standard library only.

    approve(issuer, ca_file, user_code, login, password, decision="allow")

decision: "allow" or "deny" (the Deny button on the consent page); also
"abort" (the Abort button on the code confirmation page, before signing in).
Raises ApprovalError, with the text of the page, when a step fails (unknown
or expired code, wrong password, ...).

CLI: approve.py ISSUER CA USER_CODE LOGIN PASSWORD [allow|deny|abort]
"""

import html.parser
import http.cookiejar
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["approve", "ApprovalError"]

DECISIONS = ("allow", "deny", "abort")
TIMEOUT = 15


class ApprovalError(Exception):
    """A step of the approval failed; .page_text has the text of the page."""

    def __init__(self, step, message, page_text=""):
        self.step = step
        self.page_text = page_text
        super().__init__(f"{step}: {message}" + (f"\n--- page ---\n{page_text}" if page_text else ""))


class _Page(html.parser.HTMLParser):
    """Collects forms (with inputs and submit buttons), element ids and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = {}          # id -> {"action", "method", "fields": {}, "buttons": []}
        self.ids = set()
        self._text = []
        self._form = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "form":
            fid = a.get("id") or f"form{len(self.forms)}"
            self._form = fid
            self.forms[fid] = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                               "fields": {}, "buttons": []}
        elif tag == "input":
            fid = a.get("form") or self._form
            if fid in self.forms and a.get("name") and a.get("type", "text") not in ("submit", "button"):
                self.forms[fid]["fields"][a["name"]] = a.get("value", "")
        elif tag == "button":
            fid = a.get("form") or self._form
            if fid in self.forms and a.get("type", "submit") == "submit":
                self.forms[fid]["buttons"].append((a.get("name"), a.get("value", "")))

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if not self._skip and data.strip():
            self._text.append(data.strip())

    @property
    def text(self):
        return "\n".join(self._text)


class _Browser:
    def __init__(self, ca_file):
        ctx = ssl.create_default_context(cafile=ca_file)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ctx),
            urllib.request.HTTPCookieProcessor(self.jar))

    def fetch(self, step, url, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers={"Accept": "text/html"})
        try:
            with self.opener.open(req, timeout=TIMEOUT) as resp:
                status, final, raw = resp.status, resp.geturl(), resp.read()
        except urllib.error.HTTPError as e:
            status, final, raw = e.code, e.geturl(), e.read()
        except (urllib.error.URLError, OSError) as e:
            raise ApprovalError(step, f"request to {url} failed: {e}") from e
        page = _Page()
        page.feed(raw.decode("utf-8", "replace"))
        page.close()
        page.status, page.url = status, final
        if status >= 400:
            raise ApprovalError(step, f"HTTP {status} from {final}", page.text)
        return page

    def submit(self, step, page, form_id, fields=None, button=None):
        form = page.forms[form_id]
        data = dict(form["fields"])
        data.update(fields or {})
        if button and button[0]:
            data[button[0]] = button[1]
        return self.fetch(step, urllib.parse.urljoin(page.url, form["action"]), data)


def _fail_unless(step, page, ok):
    if not ok:
        raise ApprovalError(step, "unexpected page", page.text)


def approve(issuer, ca_file, user_code, login, password, decision="allow", otp=None, auth_age=None):
    """Approve (or deny) the device authorization identified by user_code. OTP signs in
    with the second factor too (amr pwd otp mfa; the account's code is LOGIN-otp);
    AUTH_AGE dates the sign-in that many seconds back (auth_time)."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    b = _Browser(ca_file)
    issuer = issuer.rstrip("/")

    page = b.fetch("code page", issuer + "/device")
    _fail_unless("code page", page, "op.deviceInputForm" in page.forms)

    page = b.submit("enter code", page, "op.deviceInputForm", {"user_code": user_code})
    if "op.deviceConfirmForm" not in page.forms:
        raise ApprovalError("enter code", f"user code {user_code!r} refused", page.text)

    if decision == "abort":
        page = b.submit("abort", page, "op.deviceConfirmForm", button=("abort", "yes"))
        _fail_unless("abort", page, "aborted" in page.ids)
        return

    page = b.submit("confirm code", page, "op.deviceConfirmForm")

    # Then the login page (unless already signed in), the consent page (unless
    # already granted), and finally the success page.
    for _ in range(4):
        if "success" in page.ids:
            if decision == "deny":
                raise ApprovalError("deny", "signed in without a consent page to deny", page.text)
            return
        if "login" in page.forms:
            fields = {"login": login, "password": password}
            if otp is not None:
                fields["otp"] = otp
            if auth_age is not None:
                fields["auth_age"] = str(auth_age)
            page = b.submit("login", page, "login", fields)
            if "login" in page.forms:
                raise ApprovalError("login", f"sign-in as {login!r} failed", page.text)
        elif "consent" in page.forms:
            page = b.submit(decision, page, "consent", button=("decision", decision))
            if decision == "deny":
                _fail_unless("deny", page, "aborted" in page.ids)
                return
        else:
            raise ApprovalError("approval", "unexpected page", page.text)
    raise ApprovalError("approval", "too many steps", page.text)


def main(argv):
    if len(argv) not in (6, 7) or (len(argv) == 7 and argv[6] not in DECISIONS):
        print(f"usage: {argv[0]} ISSUER CA USER_CODE LOGIN PASSWORD [allow|deny|abort]", file=sys.stderr)
        return 2
    issuer, ca, code, login, password = argv[1:6]
    decision = argv[6] if len(argv) == 7 else "allow"
    try:
        approve(issuer, ca, code, login, password, decision)
    except ApprovalError as e:
        print(f"approve.py: {e}", file=sys.stderr)
        return 1
    print(f"{decision}: {code} as {login}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
