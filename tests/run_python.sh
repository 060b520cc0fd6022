#!/bin/sh
# The test driver's compiler for the .py suites: Debian's python3 (PYTHON3, found by
# configure), or, when it is missing, a TAP plan that says so instead of an error per suite
# (tests/check_prerequisites.sh makes that a failure under CI=true).
python=${PYTHON3:-/usr/bin/python3}
if [ ! -x "$python" ]; then
	echo "1..0 # SKIP $python is missing (Debian: apt-get install python3)"
	exit 0
fi
exec "$python" "$@"
