"""The disk cache of discovery documents and keys, against the real test IdP: a warm
login makes no discovery or key request; expired, poisoned, corrupt or unsafe entries
are never used; a cached key set that lacks the token's kid is refreshed. TAP output."""

import hashlib
import os
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import PAM_SUCCESS, Check, main, serial  # noqa: E402


def cache_config(stack, name, **overrides):
    cache_dir = os.path.join(stack.new_dir(name), "cache")
    # identity from the ID token: every login needs the discovery document and the keys.
    config = stack.issuer_config(cache="on", cache_dir=cache_dir, identity_source="id_token", **overrides)
    return config, cache_dir


def entry_digest(kind, url, ca_file):
    # Entries are keyed by kind, URL and the CA file that vouched for the answer: its path
    # and which file it is now (a replaced or rewritten bundle keys new entries).
    st = os.stat(ca_file)
    identity = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
    return hashlib.sha256(f"{kind}\n{url}\n{ca_file}\n{identity}".encode()).hexdigest()


def entry_path(cache_dir, kind, url, ca_file):
    return os.path.join(cache_dir, entry_digest(kind, url, ca_file))


def write_entry(cache_dir, kind, url, ca_file, body, lifetime=3600):
    """Writes an entry as the module would (root-owned, 0600, in a 0700 directory)."""
    os.makedirs(cache_dir, mode=0o700, exist_ok=True)
    digest = entry_digest(kind, url, ca_file)
    path = os.path.join(cache_dir, digest)
    with open(path, "w") as f:
        f.write(f"pam_oauth2-cache 1 {int(time.time()) + lifetime} {digest}\n{body}")
    os.chmod(path, 0o600)
    return path


def fetches(entries):
    return {path: sum(1 for e in entries if e["path"] == path) for path in ("/.well-known/openid-configuration", "/jwks")}


def login(stack, name, config):
    service = stack.service(name, config)
    result = stack.login(service, "alice", on_prompt=stack.approver("alice"))
    Check.equal(result.result, PAM_SUCCESS, f"pam_authenticate ({name})")
    return result


@serial
def test_warm_cache_skips_discovery_and_keys(stack):
    config, cache_dir = cache_config(stack, "cache-warm")
    mark = stack.log_mark()
    login(stack, "cache-cold", config)
    Check.equal(fetches(stack.log_since(mark)), {"/.well-known/openid-configuration": 1, "/jwks": 1}, "cold login")
    Check.equal(stat.S_IMODE(os.stat(cache_dir).st_mode), 0o700, "cache directory mode")
    for name in os.listdir(cache_dir):
        Check.equal(stat.S_IMODE(os.stat(os.path.join(cache_dir, name)).st_mode), 0o600, f"mode of {name}")
    mark = stack.log_mark()
    warm = login(stack, "cache-warm", config)
    Check.equal(fetches(stack.log_since(mark)), {"/.well-known/openid-configuration": 0, "/jwks": 0}, "warm login")
    Check.contains(warm.log, "cache hit for discovery", "log line")


@serial
def test_a_changed_ca_bundle_is_not_vouched_for_by_old_entries(stack):
    # Entries fetched under one CA bundle are not used once the bundle changed (a rotated CA,
    # or the system CAs that older versions trusted beside it).
    directory = stack.new_dir("cache-ca")
    ca_copy = os.path.join(directory, "ca.pem")
    with open(stack.idp.ca_file) as src, open(ca_copy, "w") as dst:
        dst.write(src.read())
    config, cache_dir = cache_config(stack, "cache-ca-change", ca_file=ca_copy)
    login(stack, "cache-ca-1", config)
    mark = stack.log_mark()
    login(stack, "cache-ca-2", config)
    Check.equal(fetches(stack.log_since(mark)), {"/.well-known/openid-configuration": 0, "/jwks": 0}, "same bundle")
    with open(ca_copy, "a") as f:
        f.write("\n")  # the same CA, rewritten: the bundle is another file now
    mark = stack.log_mark()
    login(stack, "cache-ca-3", config)
    Check.equal(fetches(stack.log_since(mark)), {"/.well-known/openid-configuration": 1, "/jwks": 1},
                "after the bundle changed")


@serial
def test_expired_entries_are_fetched_again(stack):
    config, cache_dir = cache_config(stack, "cache-expiry", cache_ttl="1")
    login(stack, "cache-expiry-1", config)
    time.sleep(2.1)
    mark = stack.log_mark()
    login(stack, "cache-expiry-2", config)
    Check.equal(fetches(stack.log_since(mark)), {"/.well-known/openid-configuration": 1, "/jwks": 1}, "after expiry")


@serial
def test_poisoned_discovery_document_is_not_used(stack):
    # Well-formed entry, but for another issuer, whose endpoints point elsewhere: refused
    # exactly as a fresh document would be, then fetched and replaced.
    config, cache_dir = cache_config(stack, "cache-poisoned")
    evil = '{"issuer":"https://evil.example","token_endpoint":"https://evil.example/token",' \
           '"device_authorization_endpoint":"https://evil.example/device"}'
    path = write_entry(cache_dir, "discovery", stack.idp.issuer, stack.idp.ca_file, evil)
    mark = stack.log_mark()
    result = login(stack, "cache-poisoned", config)
    Check.equal(fetches(stack.log_since(mark))["/.well-known/openid-configuration"], 1, "discovery fetched")
    Check.contains(result.log, "cached discovery document refused", "log line")
    Check.absent(open(path).read(), "evil.example", "entry after the login")


@serial
def test_corrupt_entries_are_not_used(stack):
    config, cache_dir = cache_config(stack, "cache-corrupt")
    os.makedirs(cache_dir, mode=0o700)
    for kind, url in (("discovery", stack.idp.issuer), ("jwks", f"{stack.idp.issuer}/jwks")):
        path = entry_path(cache_dir, kind, url, stack.idp.ca_file)
        with open(path, "wb") as f:
            f.write(b"\x00\xffgarbage{")
        os.chmod(path, 0o600)
    mark = stack.log_mark()
    login(stack, "cache-corrupt", config)
    Check.equal(fetches(stack.log_since(mark)), {"/.well-known/openid-configuration": 1, "/jwks": 1}, "refetched")


@serial
def test_cache_of_another_owner_is_ignored(stack):
    config, cache_dir = cache_config(stack, "cache-owner")
    login(stack, "cache-owner-1", config)
    os.chown(cache_dir, 65534, 65534)
    mark = stack.log_mark()
    result = login(stack, "cache-owner-2", config)
    Check.equal(fetches(stack.log_since(mark)), {"/.well-known/openid-configuration": 1, "/jwks": 1},
                "requests with an untrusted cache")
    Check.contains(result.log, "cache miss for discovery: directory is not a directory of root's", "log line")


@serial
def test_entry_readable_by_others_is_ignored(stack):
    config, cache_dir = cache_config(stack, "cache-mode")
    login(stack, "cache-mode-1", config)
    for name in os.listdir(cache_dir):
        os.chmod(os.path.join(cache_dir, name), 0o644)
    mark = stack.log_mark()
    login(stack, "cache-mode-2", config)
    Check.equal(fetches(stack.log_since(mark)), {"/.well-known/openid-configuration": 1, "/jwks": 1}, "refetched")


@serial
def test_cached_keys_without_the_kid_are_refreshed(stack):
    # The IdP "rotated" its keys since they were cached: the cached set holds only a key
    # nobody signs with. The module must fetch the keys again, once, and succeed.
    config, cache_dir = cache_config(stack, "cache-rotated")
    decoy = stack.idp.request("GET", "/jwks")[1]
    for key in decoy["keys"]:
        key["kid"] = "rotated-away-" + key["kid"]
    import json
    path = write_entry(cache_dir, "jwks", f"{stack.idp.issuer}/jwks", stack.idp.ca_file, json.dumps(decoy))
    mark = stack.log_mark()
    result = login(stack, "cache-rotated", config)
    Check.equal(fetches(stack.log_since(mark))["/jwks"], 1, "key fetches")
    Check.contains(result.log, "unknown kid, fetching the keys again", "log line")
    Check.absent(open(path).read(), "rotated-away-", "entry after the login")


CASES = [value for name, value in list(globals().items()) if name.startswith("test_")]

if __name__ == "__main__":
    sys.exit(main(CASES))
