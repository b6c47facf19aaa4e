#!/bin/sh
# exec-sandbox: bin/compare (the default output comparator) and
# bin/supervisor (runs a program under ptrace + seccomp, reports on fd 3),
# both built from sioworkers' native code.
set -eu
dest=${1:?usage: exec-sandbox.sh DEST}
bin=${SIO_NATIVE_BIN:?SIO_NATIVE_BIN must name the native helper directory}
mkdir -p "$dest/bin"
cp "$bin/compare" "$bin/supervisor" "$dest/bin/"
chmod 0755 "$dest/bin/compare" "$dest/bin/supervisor"
