#!/bin/sh
# The README's Quick start on a truly fresh Debian: for each named release (default:
# bookworm trixie) make a debootstrap root (minbase with git and ca-certificates, cached
# between runs), clone this checkout's HEAD into a pristine copy of it, run the two
# commands exactly as the README writes them (read from the README, so the two cannot
# drift) as root with CI=true and no standard input, check that nothing was left behind,
# and report pass/fail and wall time per release. Needs root and debootstrap; about
# 15-25 minutes per release on 2 cores. Usage:
#   sh tests/fresh/run.sh [--prepare] [RELEASE...]
#     --prepare     only make (or refresh with FRESH_REFRESH=1) the cached base roots
# Environment: FRESH_CACHE (default /var/cache/pam_oauth2-fresh) holds RELEASE.tar and
# the downloaded .deb files (apt checks each against the release's signed index);
# FRESH_WORK (default /var/tmp) is where the roots are unpacked; FRESH_MIRROR and
# FRESH_SECURITY_MIRROR override the mirrors read from /etc/apt/sources.list*;
# FRESH_KEEP=1 keeps the unpacked root after the run (it is unmounted all the same).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FRESH_CACHE:-/var/cache/pam_oauth2-fresh}
work=${FRESH_WORK:-/var/tmp}
prepare_only=no
if [ "${1:-}" = --prepare ]; then
	prepare_only=yes
	shift
fi
releases=${*:-bookworm trixie}

say() { printf '== %s\n' "$*"; }
die() {
	printf 'fresh: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null 2>&1 || die "needs debootstrap (apt-get install debootstrap)"
command -v git >/dev/null 2>&1 || die "needs git"

# The mirrors this machine already uses (deb.debian.org here), from deb822 or one-line sources.
mirror_for() { # $1: debian or debian-security
	cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' |
		tr ' ' '\n' | grep -E "/$1/?\$" | head -1 | sed 's,/$,,'
}
mirror=${FRESH_MIRROR:-$(mirror_for debian)}
security_mirror=${FRESH_SECURITY_MIRROR:-$(mirror_for debian-security)}
[ -n "$mirror" ] || die "no Debian mirror in /etc/apt/sources.list*; set FRESH_MIRROR"
[ -n "$security_mirror" ] || security_mirror=$(echo "$mirror" | sed 's,/debian$,/debian-security,')

# The two commands, as the README's Quick start writes them (its first sh block).
quickstart_commands() {
	awk '/^## Quick start/ { q = 1; next } q && /^## / { exit }
	     q && /^```sh/ { b = 1; next } b && /^```/ { exit }
	     b { sub(/[[:space:]]+#.*$/, ""); if ($0 != "") print }' "$top/README.md"
}
commands=$(quickstart_commands)
[ "$(echo "$commands" | grep -c .)" = 2 ] || die "the README's Quick start should hold exactly two commands, found: $commands"

base_tar() { echo "$cache/$1.tar"; }

make_base() { # $1: release
	release=$1
	tar_file=$(base_tar "$release")
	if [ -f "$tar_file" ] && [ "${FRESH_REFRESH:-0}" != 1 ]; then
		return 0
	fi
	say "$release: making the base root with debootstrap from $mirror (once; cached in $tar_file)"
	mkdir -p "$cache"
	dir=$(mktemp -d "$work/pam_oauth2-fresh-base-$release.XXXXXX")
	chmod 755 "$dir" # it becomes /: mktemp's 0700 would lock every other user out
	# A failed debootstrap may leave its own mounts: take them down before removing the tree.
	if ! debootstrap --variant=minbase --include=git,ca-certificates "$release" "$dir" "$mirror" \
		>"$cache/$release-debootstrap.log" 2>&1; then
		unmount_under "$dir"
		rm -rf "$dir"
		tail -20 "$cache/$release-debootstrap.log" >&2
		die "$release: debootstrap failed (log: $cache/$release-debootstrap.log)"
	fi
	unmount_under "$dir"
	# The suites a Debian install lists: the release, its updates and its security fixes.
	cat >"$dir/etc/apt/sources.list" <<-EOF
		deb $mirror $release main
		deb $mirror $release-updates main
		deb $security_mirror $release-security main
	EOF
	# As in a container image: package scripts do not start services in this root (an
	# sshd from openssh-server would otherwise listen on this machine's port 22).
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod 755 "$dir/usr/sbin/policy-rc.d"
	rm -rf "$dir/var/lib/apt/lists/"* "$dir/var/cache/apt/archives/"*.deb
	tar -C "$dir" -cf "$tar_file.new" .
	mv "$tar_file.new" "$tar_file"
	rm -rf "$dir"
}

# Every mount point under $1, deepest first, unmounted (lazily if busy).
unmount_under() {
	awk -v root="$1" '$2 == root || index($2, root "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r point; do
			umount "$point" 2>/dev/null || umount -l "$point" 2>/dev/null || echo "fresh: could not unmount $point" >&2
		done
}

# Processes whose root directory is $1.
processes_in() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
	return 0
}

root=
cleanup() {
	[ -n "$root" ] || return 0
	for pid in $(processes_in "$root"); do kill -9 "$pid" 2>/dev/null || true; done
	unmount_under "$root"
	if [ "${FRESH_KEEP:-0}" = 1 ]; then
		echo "fresh: kept $root (unmounted)"
	else
		rm -rf "$root"
	fi
	root=
}
trap 'cleanup' EXIT
trap 'cleanup; exit 130' INT TERM HUP

in_root() { # runs $1 in the root as a fresh login of root would, with CI=true and no stdin
	chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8 CI=true \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		sh -c "$1" </dev/null
}

unowned_config_files() {
	in_root 'for f in /etc/pam.d/* /etc/sudoers.d/*; do [ -e "$f" ] || continue
		dpkg -S "$f" >/dev/null 2>&1 || echo "$f"; done' | sort
}

# What the two commands must not leave behind, listed from inside the root.
leftovers() {
	for pid in $(processes_in "$root"); do
		echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
	done
	awk -v root="$root" 'index($2, root "/") == 1 { print $2 }' /proc/self/mounts |
		grep -vxF -e "$root/proc" -e "$root/sys" -e "$root/dev" -e "$root/dev/pts" -e "$root/dev/shm" -e "$root/run" |
		sed 's/^/mount /' || true
	# Files no installed package owns (sudo and openssh-server bring their own) that were
	# not there before (pam-auth-update writes the common-* files).
	unowned_config_files >"$logdir/unowned.after"
	comm -13 "$logdir/unowned.before" "$logdir/unowned.after" | sed 's/^/file /'
	# Users, as the suites make them (useradd: uid 1000 and up); packages add system users.
	in_root 'getent passwd | awk -F: "\$3 >= 1000 && \$3 < 60000 { print \"user \" \$1 }"'
	in_root 'ls -A /var/cache/pam_oauth2 2>/dev/null' | sed 's,^,file /var/cache/pam_oauth2/,'
	in_root 'cd /tmp && ls -A; cd /var/tmp && ls -A' | sed 's/^/temporary file /' || true
}

run_release() { # $1: release; prints one result line and returns 0 on pass
	release=$1
	tar_file=$(base_tar "$release")
	stamp=$(date +%Y%m%d-%H%M%S)
	logdir="$cache/logs/$release-$stamp"
	mkdir -p "$logdir" "$cache/$release-archives/partial"
	root=$(mktemp -d "$work/pam_oauth2-fresh-$release.XXXXXX")
	tar -C "$root" -xf "$tar_file"
	chmod 755 "$root"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	# As the Debian installer writes them: the root shares this machine's host name, which
	# must resolve (sudo warns on stderr otherwise).
	hostname >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" \
		>"$root/etc/hosts"
	# / must be a mount point, as on a real machine: "unshare --propagation private" (the
	# hostile suite's private /etc/ssl/certs) fails with EINVAL on a plain chroot directory.
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	mount --bind /dev "$root/dev"
	mount --bind /dev/pts "$root/dev/pts"
	mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
	mount -t tmpfs -o mode=755 tmpfs "$root/run"
	mount --bind "$cache/$release-archives" "$root/var/cache/apt/archives"
	# This machine's own network plumbing, as resolv.conf is: where the way out passes a
	# TLS-inspecting proxy, its CA certificate is in /usr/local/share/ca-certificates, and
	# the root needs it to reach the npm registry. A machine without one copies nothing.
	if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
		cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
		in_root 'update-ca-certificates' >/dev/null 2>&1
	fi
	in_root 'chown -R _apt:root /var/cache/apt/archives/partial' 2>/dev/null || true
	git clone -q "$top" "$root/root/pam_oauth2"
	commit=$(git -C "$root/root/pam_oauth2" log -1 --format='%h %s')
	say "$release: clone of $commit in $root (logs: $logdir)"
	unowned_config_files >"$logdir/unowned.before"
	result=PASS
	summary=
	n=0
	echo "$commands" >"$logdir/commands"
	while read -r command; do
		n=$((n + 1))
		say "$release: $command"
		start=$(date +%s)
		if in_root "cd /root/pam_oauth2 && $command" >"$logdir/command$n.log" 2>&1; then
			status=ok
		else
			status="FAILED (exit $?)"
			result=FAIL
		fi
		seconds=$(($(date +%s) - start))
		summary="$summary; '$command' $status in $((seconds / 60))m$((seconds % 60))s"
		say "$release: $status after ${seconds}s; last lines:"
		tail -15 "$logdir/command$n.log" | sed 's/^/   | /'
	done <"$logdir/commands"
	# The mount of the package cache is this script's own: take it down before looking.
	umount "$root/var/cache/apt/archives"
	leftovers >"$logdir/leftovers"
	if [ -s "$logdir/leftovers" ]; then
		result=FAIL
		say "$release: left behind:"
		sed 's/^/   | /' "$logdir/leftovers"
		summary="$summary; left behind: $(wc -l <"$logdir/leftovers") items"
	else
		summary="$summary; nothing left behind"
	fi
	version=$(cat "$root/etc/debian_version")
	cleanup
	echo "$result $release (Debian $version)${summary}" >>"$results"
	[ "$result" = PASS ]
}

for release in $releases; do
	make_base "$release"
done
[ "$prepare_only" = yes ] && exit 0

results=$(mktemp)
passed=0
failed=0
for release in $releases; do
	if run_release "$release"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
say "results ($(date -u +%Y-%m-%d), commit $(git -C "$top" log -1 --format=%h)):"
cat "$results"
rm -f "$results"
echo "fresh: $passed passed, $failed failed"
[ "$failed" = 0 ]
