# Sourced by the TAP scripts: what to do when a prerequisite (a tool, root, a build) is
# missing. Locally the test is skipped, saying what is missing. Under CI (the variable CI
# set and not empty, as .ci/run is started) it fails instead: a CI run that silently
# leaves a suite out proves nothing about it. The Python suites follow the same rule
# (tests/integration/harness.py, missing_prerequisite).

# skip_all REASON: the whole script cannot run. Prints "1..0 # SKIP REASON" and exits 0;
# under CI prints "Bail out! REASON" and exits 1.
skip_all() {
	if [ -n "${CI:-}" ]; then
		echo "Bail out! $1 (CI is set, so this fails instead of skipping)"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

# skip_test NUMBER DESCRIPTION REASON: one test cannot run. Prints
# "ok NUMBER - DESCRIPTION # SKIP REASON"; under CI prints "not ok NUMBER - DESCRIPTION
# (REASON; CI is set ...)" and returns 1, so that a caller can count it as failed.
skip_test() {
	if [ -n "${CI:-}" ]; then
		echo "not ok $1 - $2 ($3; CI is set, so this fails instead of skipping)"
		return 1
	fi
	echo "ok $1 - $2 # SKIP $3"
}
