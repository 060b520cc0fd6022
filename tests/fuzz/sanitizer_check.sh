#!/bin/sh
# TAP: the existing suites under the sanitizers and valgrind.
#  asan:     a second copy of the tree, configured out of tree with clang and
#            -fsanitize=address,undefined, builds and runs every cmocka unit test
#            (ASAN_OPTIONS=detect_leaks=1).
#  valgrind: every cmocka unit test binary of this build under memcheck (definite and
#            indirect leaks are errors), through ./libtool --mode=execute.
#  integration: tests/integration/*.py with the ASan-built module and pam_drive, then
#            with this build's pam_drive under valgrind (a wrapper in place of pam_drive;
#            only the suites that log in through pam_drive). A run passes when the suite
#            passes (every case ok) and the tool reports nothing.
#            These need root, node and the test IdP's node_modules; else they are skipped.
# One line per binary and mode; the plan comes last. Parts whose tool is missing are
# skipped (clang for asan, valgrind for valgrind); under CI they fail (tests/tap_skip.sh).
#   SANITIZER_CHECK_INTEGRATION=no  leaves the integration runs out (they take minutes).
#   KEEP_SANITIZER_DIR=1            keeps the work directory.
set -u

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
. "$fuzz_dir/../tap_skip.sh"
srcdir=${top_srcdir:-$(cd "$fuzz_dir/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
idp_modules=${PAM_OAUTH2_IDP_MODULES:-$srcdir/tests/idp/node_modules}
jobs=${SANITIZER_CHECK_JOBS:-2}

work=$(mktemp -d "${TMPDIR:-/tmp}/pam_oauth2_sanitize.XXXXXX") || exit 1
if [ -n "${KEEP_SANITIZER_DIR:-}" ]; then
	echo "# work directory: $work"
else
	trap 'rm -rf "$work"' EXIT
fi

number=0
failed=0
ok() { number=$((number + 1)); echo "ok $number - $*"; }
not_ok() { number=$((number + 1)); failed=$((failed + 1)); echo "not ok $number - $*"; }
skip() { number=$((number + 1)); skip_test "$number" "$1" "$2" || failed=$((failed + 1)); }
# Shows the last lines of a log as TAP comments.
show() { tail -n "${2:-30}" "$1" | sed 's/^/# /'; }

# The unit tests: the cmocka programs of the top Makefile (tests/unit/test_NAME).
unit_tests=$(sed -n 's/^[[:space:]]*tests\/unit\/\(test_[a-z0-9_]*\).*/\1/p' "$srcdir/Makefile.am" | sort -u)

# ---- asan: a second tree built with ASan and UBSan ----
asan_build=
asan_ready=no
if ! command -v clang >/dev/null 2>&1; then
	skip "asan: configure and build" "clang not found"
else
	# A clean copy of the sources: configure refuses a source tree configured in place.
	mkdir -p "$work/src" "$work/asan"
	(cd "$srcdir" && tar -cf - --exclude=.git --exclude=node_modules --exclude=autom4te.cache \
		--exclude=config.status --exclude=config.log --exclude=config.h --exclude=stamp-h1 \
		--exclude=libtool --exclude=Makefile --exclude='*.o' --exclude='*.lo' --exclude='*.la' \
		--exclude=.libs --exclude=.deps --exclude='*.log' --exclude='*.trs' --exclude=tests/fuzz/build \
		--exclude=./_build --exclude='./pam_oauth2-*' .) | (cd "$work/src" && tar -xf -)
	# A distcheck source tree is read-only: make the copy writable (and removable).
	chmod -R u+w "$work/src"
	# Objects and programs of an in-place build carry no extension: drop those of the unit tests.
	for name in $unit_tests; do rm -f "$work/src/tests/unit/$name"; done
	rm -f "$work/src/tests/pam_drive"
	asan_build=$work/asan
	asan_cflags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -O1"
	if (cd "$asan_build" && "$work/src/configure" CC=clang CFLAGS="$asan_cflags" LDFLAGS="-fsanitize=address,undefined" \
		--with-idp-modules="$idp_modules" >"$work/asan-configure.log" 2>&1) &&
		(cd "$asan_build" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -j"$jobs" check TESTS= \
			>"$work/asan-build.log" 2>&1); then
		ok "asan: configure and build with clang -fsanitize=address,undefined"
		asan_ready=yes
	else
		not_ok "asan: configure and build"
		show "$work/asan-configure.log" 10
		show "$work/asan-build.log" 30
	fi
fi
for name in $unit_tests; do
	if [ "$asan_ready" != yes ]; then
		skip "asan: $name" "no ASan build"
		continue
	fi
	log=$work/asan-$name.log
	if (cd "$asan_build" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		CMOCKA_MESSAGE_OUTPUT=TAP ./libtool --mode=execute "tests/unit/$name") >"$log" 2>&1 &&
		! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
		ok "asan: $name ($(grep -c '^ok' "$log") cases)"
	else
		not_ok "asan: $name"
		grep -E 'not ok|ERROR:|SUMMARY:|runtime error:|#[0-9]+ 0x' "$log" | head -n 30 | sed 's/^/# /'
	fi
done

# ---- valgrind: this build's unit test programs ----
for name in $unit_tests; do
	if ! command -v valgrind >/dev/null 2>&1; then
		skip "valgrind: $name" "valgrind not found"
		continue
	fi
	if [ ! -x "$builddir/tests/unit/$name" ]; then
		skip "valgrind: $name" "not built (configure found no cmocka?)"
		continue
	fi
	log=$work/valgrind-$name.log
	if (cd "$builddir" && CMOCKA_MESSAGE_OUTPUT=TAP ./libtool --mode=execute valgrind --quiet --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=1 --log-file="$log.vg" \
		"tests/unit/$name") >"$log" 2>&1; then
		ok "valgrind: $name ($(grep -c '^ok' "$log") cases)"
	else
		not_ok "valgrind: $name"
		grep -E '^not ok' "$log" | sed 's/^/# /'
		show "$log.vg" 40
	fi
done

# ---- integration: the real PAM stack with the ASan module, and under valgrind ----
integration_tests=$(cd "$srcdir" && ls tests/integration/test_*.py 2>/dev/null)
why_not=
if [ "${SANITIZER_CHECK_INTEGRATION:-yes}" = no ]; then
	why_not="SANITIZER_CHECK_INTEGRATION=no"
elif [ "$(id -u)" != 0 ]; then
	why_not="needs root"
elif ! command -v node >/dev/null 2>&1 || [ ! -d "$idp_modules/oidc-provider" ]; then
	why_not="needs node and the test IdP's node_modules"
fi
# Debian's python3 first, as configure picks it (its modules, not a pyenv's).
python=${PYTHON3:-$(command -v /usr/bin/python3 || command -v python3)}

# Runs tests/integration/$1 with top_builddir=$2 and PAM_OAUTH2_MODULE=$3; LOG is $4.
run_integration() {
	(cd "$2" && top_srcdir=$srcdir top_builddir=$2 PAM_OAUTH2_MODULE=$3 PAM_OAUTH2_IDP_MODULES=$idp_modules \
		"$python" "$srcdir/$1") >"$4" 2>&1
}

for test in $integration_tests; do
	name=$(basename "$test")
	if [ -n "$why_not" ]; then
		skip "asan: integration $name" "$why_not"
		continue
	fi
	if [ "$asan_ready" != yes ]; then
		skip "asan: integration $name" "no ASan build"
		continue
	fi
	# pam_drive is built with ASan, so the runtime is in the executable and the module's
	# sanitizer calls resolve against it; the syslog shim is preloaded after it. Reports
	# go to files, as the harness reads pam_drive's stdout. libpam keeps some memory to the
	# end: leaks are reported only from our sources.
	mkdir -p "$work/asan-it-$name"
	printf '%s\n' 'leak:libpam.so' >"$work/lsan.supp"
	log=$work/asan-it-$name.log
	ASAN_OPTIONS="detect_leaks=1:log_path=$work/asan-it-$name/report:abort_on_error=0" \
		LSAN_OPTIONS="suppressions=$work/lsan.supp:print_suppressions=0" \
		UBSAN_OPTIONS="print_stacktrace=1:log_path=$work/asan-it-$name/report" \
		run_integration "$test" "$asan_build" "$asan_build/.libs/pam_oauth2.so" "$log"
	rc=$?
	# A report is a sanitizer finding; LeakSanitizer's own "fatal error" (its
	# tracer crashing, seen once in about 80 pam_drive runs here) is not a finding.
	reports=$(grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer): |runtime error:' "$work/asan-it-$name"/* 2>/dev/null | wc -l)
	tool_failures=$(grep -l 'LeakSanitizer has encountered a fatal error' "$work/asan-it-$name"/* 2>/dev/null | wc -l)
	note=
	[ "$tool_failures" = 0 ] || note=", LeakSanitizer could not check $tool_failures run(s)"
	# The suite's verdict counts as well as the sanitizers': every case ok, and some ran.
	passed_cases=$(grep -c '^ok' "$log")
	failed_cases=$(grep -c '^not ok' "$log")
	if [ "$rc" = 0 ] && [ "$failed_cases" = 0 ] && [ "$passed_cases" -gt 0 ] && [ "$reports" = 0 ]; then
		ok "asan: integration $name ($passed_cases cases, no sanitizer report$note)"
	else
		not_ok "asan: integration $name (exit $rc, $failed_cases of $((passed_cases + failed_cases)) cases failed, $reports sanitizer reports$note)"
		grep -E '^not ok|^Bail|^# [A-Za-z]*Error' "$log" | sed 's/^\(# \)\{0,1\}/# /'
		for report in $(grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer): |runtime error:' "$work/asan-it-$name"/* 2>/dev/null | head -n 3); do
			head -n 40 "$report" | sed 's/^/# /'
		done
	fi
done

for test in $integration_tests; do
	name=$(basename "$test")
	# Under valgrind only pam_drive runs: a suite that never logs in has nothing to check.
	if ! grep -q '\.login(' "$srcdir/$test"; then
		echo "# valgrind: integration $name: runs no pam_drive, not run under valgrind"
		continue
	fi
	if [ -n "$why_not" ]; then
		skip "valgrind: integration $name" "$why_not"
		continue
	fi
	if ! command -v valgrind >/dev/null 2>&1; then
		skip "valgrind: integration $name" "valgrind not found"
		continue
	fi
	# harness.py runs top_builddir/tests/pam_drive: a tree whose pam_drive is a script
	# that runs the real one under memcheck, with the real syslog shim beside it.
	vg_tree=$work/valgrind-tree
	mkdir -p "$vg_tree/tests/.libs" "$work/valgrind-it-$name"
	ln -sf "$builddir/tests/.libs/syslog_capture.so" "$vg_tree/tests/.libs/syslog_capture.so"
	for tool in "$builddir"/pam_oauth2-check; do
		[ -e "$tool" ] && ln -sf "$tool" "$vg_tree/"
	done
	cat >"$vg_tree/tests/pam_drive" <<EOS
#!/bin/sh
exec valgrind --quiet --trace-children=no --leak-check=full --errors-for-leak-kinds=definite,indirect \\
	--error-exitcode=99 --log-file="$work/valgrind-it-$name/%p.log" "$builddir/tests/pam_drive" "\$@"
EOS
	chmod +x "$vg_tree/tests/pam_drive"
	log=$work/valgrind-it-$name.log
	# memcheck slows pam_drive down (its TLS handshakes most): 20 s more for every
	# request and login (tests/integration/harness.py).
	PAM_OAUTH2_TEST_TIMEOUT_EXTRA=20 run_integration "$test" "$vg_tree" "$builddir/.libs/pam_oauth2.so" "$log"
	rc=$?
	# A log with content is a memcheck error (--quiet prints errors only).
	errors=$(find "$work/valgrind-it-$name" -name '*.log' -size +0 | wc -l)
	runs=$(ls "$work/valgrind-it-$name" | wc -l)
	passed_cases=$(grep -c '^ok' "$log")
	failed_cases=$(grep -c '^not ok' "$log")
	# Both verdicts count: memcheck's, and the suite's own (a case that fails only under
	# valgrind is a failure too: the extra 20 s leave room for valgrind's slowdown).
	if [ "$rc" = 0 ] && [ "$failed_cases" = 0 ] && [ "$passed_cases" -gt 0 ] && [ "$errors" = 0 ] &&
		[ "$runs" -gt 0 ] && ! grep -q '^Bail' "$log"; then
		ok "valgrind: integration $name ($passed_cases cases passed, $runs pam_drive runs memcheck-clean)"
	else
		not_ok "valgrind: integration $name (exit $rc, $failed_cases of $((passed_cases + failed_cases)) cases failed, $errors of $runs pam_drive runs with memcheck errors)"
		grep -E '^not ok|^Bail|^# [A-Za-z]*Error' "$log" | sed 's/^\(# \)\{0,1\}/# /'
		for report in $(find "$work/valgrind-it-$name" -name '*.log' -size +0 | head -n 3); do
			head -n 30 "$report" | sed 's/^/# /'
		done
	fi
done

echo "1..$number"
[ "$failed" = 0 ]
