#!/bin/sh
# proot-sandbox: bin/proot, taken from the installed Debian package (proot).
set -eu
dest=${1:?usage: proot-sandbox.sh DEST}
proot=$(command -v proot) || { echo "proot is not installed (apt-get install proot)" >&2; exit 1; }
mkdir -p "$dest/bin"
cp "$proot" "$dest/bin/proot"
chmod 0755 "$dest/bin/proot"
cat > "$dest/README" <<'TXT'
PRoot (https://proot-me.github.io/), copied from the machine's Debian
package. PRootExecutor runs programs with the sandbox directory as their
root: proot -r SANDBOX -b WORKDIR -b WORKDIR:/tmp -w WORKDIR ...
TXT
