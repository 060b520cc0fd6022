#!/bin/sh
# make_certs.sh DIR
#
# Generates the TLS material for the test IdP in DIR (created if missing):
#   ca.pem, ca.key          test CA (trusted by the tests)
#   server.pem, server.key  server certificate signed by that CA,
#                           SAN IP:127.0.0.1 and DNS:localhost
#   other-ca.pem, other-ca.key
#                           an unrelated CA, for "untrusted CA" tests
# Idempotent: files that already exist (and still match) are kept.
# Quiet: prints nothing on success; errors go to stderr.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

log=$(mktemp)
trap 'rm -f "$log" server.csr server.ext' EXIT

run() {
    if ! "$@" >"$log" 2>&1; then
        echo "make_certs.sh: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

# new_ca NAME SUBJECT: self-signed EC P-256 CA, valid 10 years.
new_ca() {
    if [ -s "$1.pem" ] && [ -s "$1.key" ]; then
        return 0
    fi
    run openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -keyout "$1.key" -out "$1.pem" -days 3650 -sha256 -subj "$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash"
}

new_ca ca "/CN=pam_oauth2 test CA"
new_ca other-ca "/CN=pam_oauth2 unrelated test CA"

# Reissue the server certificate if it is missing or not signed by ca.pem
# (e.g. ca.pem was regenerated).
if [ -s server.pem ] && [ -s server.key ] &&
    openssl verify -CAfile ca.pem server.pem >/dev/null 2>&1; then
    :
else
    run openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
        -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
    cat >server.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
EOF
    run openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
        -CAcreateserial -CAserial ca.srl -out server.pem -days 825 -sha256 \
        -extfile server.ext
fi

# The certificates are public; keys stay 0600.
chmod 644 ca.pem other-ca.pem server.pem
