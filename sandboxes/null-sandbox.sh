#!/bin/sh
# null-sandbox: an empty directory (a root with nothing in it).
set -eu
: "${1:?usage: null-sandbox.sh DEST}"
