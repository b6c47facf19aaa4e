#!/bin/sh
# sio2jail_exec-sandbox: the sio2jail binary built from sioworkers' native
# code and boxes/minimal, the empty root programs see in the jail.
set -eu
dest=${1:?usage: sio2jail_exec-sandbox.sh DEST}
bin=${SIO_NATIVE_BIN:?SIO_NATIVE_BIN must name the native helper directory}
mkdir -p "$dest/boxes/minimal"
cp "$bin/sio2jail" "$dest/sio2jail"
chmod 0755 "$dest/sio2jail"
