#!/bin/sh
# copy_tree.sh SRC DEST: copies the source tree SRC to DEST without build output, for a
# package build from a clean tree. In a git checkout: the tracked files plus the untracked
# ones git does not ignore (work in progress), leaving out compiled programs; elsewhere
# (a release tarball): everything but node_modules and build output.
set -eu
src=$1
dest=$2
mkdir -p "$dest"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		(cd "$src" && xargs -0 sh -c '
			dest=$0
			for f in "$@"; do
				[ -f "$f" ] || continue              # deleted but still in the index
				case $(head -c 4 "$f" | od -An -c | tr -d " ") in
				177ELF) continue ;;                    # a program built in the tree
				esac
				mkdir -p "$dest/$(dirname "$f")"
				cp -p "$f" "$dest/$f"
			done' "$dest")
else
	(cd "$src" && tar cf - --exclude=node_modules --exclude='*.o' --exclude='*.lo' --exclude='*.la' \
		--exclude=.libs --exclude=.deps --exclude=autom4te.cache --exclude=_build --exclude=_inst --exclude='*.tar.gz' .) | (cd "$dest" && tar xf -)
fi
# Never leave a debian/ at the top of the source tree: it is copied in by build_deb.sh.
rm -rf "$dest/debian"
