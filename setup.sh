#!/usr/bin/env bash
# Set up sioworkers on a Debian machine, then run the demo or the tests.
#
#   ./setup.sh demo      install everything, judge the bundled example task
#   ./setup.sh test      install everything, run the test suite
#   ./setup.sh install   install everything only
#
# Installs the Debian packages it needs (as root, or through sudo), creates
# .venv and builds the package into it. Safe to run again: what is already
# done is skipped quietly.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(
    gcc g++ make libc6-dev            # native build and the C/C++ compilers
    libseccomp-dev                    # seccomp policies
    libdb-dev                         # filetracker's bsddb3
    python3-dev python3-venv          # the venv and the extension build
    rabbitmq-server                   # the Celery broker (the fleet, its tests)
    redis-server                      # Celery results, and the Redis broker tests
    proot                             # PRootExecutor and proot-sandbox
    fp-compiler fp-units-rtl          # Free Pascal
    default-jdk-headless              # Java
    rustc                             # Rust (sio-judge's .rs solutions)
    python3                           # Python solutions (the system's interpreter)
    locales                           # en_US.UTF-8 for the programs we run
    zip unzip
)
VENV=.venv
STAMP=$VENV/.sioworkers-build

say() { printf 'setup.sh: %s\n' "$*" >&2; }

# Run a command quietly; show what it said only if it fails.
quietly() {
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

missing_packages() {
    local p
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || printf '%s\n' "$p"
    done
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        return 1
    fi
}

install_packages() {
    local missing
    missing=$(missing_packages)
    [ -z "$missing" ] && return 0
    # shellcheck disable=SC2086
    say "installing Debian packages:" $missing
    if ! quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
       ! quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends $missing; then
        say "cannot install the missing Debian packages (not root and no sudo)."
        say "run as root, or first: sudo apt-get install" $missing
        exit 1
    fi
}

ensure_locale() {
    locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$' && return 0
    say "generating the en_US.UTF-8 locale"
    if ! as_root sh -c "sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' /etc/locale.gen &&
                        grep -q '^en_US.UTF-8 UTF-8' /etc/locale.gen ||
                        echo 'en_US.UTF-8 UTF-8' >> /etc/locale.gen; locale-gen >/dev/null"; then
        say "cannot generate en_US.UTF-8 (not root); programs will warn about the locale"
    fi
}

build_inputs_hash() {
    # Everything the build depends on (not what it generates: Cython's .c
    # next to each .pyx): rebuild when any of it changes.
    {
        cat pyproject.toml setup.py
        find sio sandboxes -type f \( -name '*.c' -o -name '*.h' -o -name '*.pyx' \
            -o -name '*.sh' \) -not -path 'sio/_native/sandboxes/*' -print | sort |
        while IFS= read -r f; do
            case $f in *.c) [ -e "${f%.c}.pyx" ] && continue ;; esac
            printf '%s\n' "$f"
            cat "$f"
        done
    } | sha256sum | cut -d' ' -f1
}

install_python() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        python3 -m venv "$VENV"
    fi
    local want
    want=$(build_inputs_hash)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return 0
    fi
    say "installing Python dependencies and building sioworkers"
    quietly "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        --upgrade pip 'setuptools>=77' wheel 'Cython>=3.0' || exit 1
    quietly "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        --no-build-isolation -e '.[test]' || exit 1
    echo "$want" > "$STAMP"
}

COMMANDS=(sio-batch sio-compile sio-judge sio-celery-worker sio-fleet sio-workersd
          sio-run-filetracker sio-get-sandbox sio-compare)

# The README writes the commands bare: put them on PATH (/usr/local/bin).
link_commands() {
    local bin=/usr/local/bin c missing=0
    for c in "${COMMANDS[@]}"; do
        [ "$(readlink "$bin/$c" 2>/dev/null)" = "$PWD/$VENV/bin/$c" ] && continue
        as_root ln -sf "$PWD/$VENV/bin/$c" "$bin/$c" 2>/dev/null || missing=1
    done
    [ "$missing" = 0 ] || say "cannot link the commands into $bin: use $PWD/$VENV/bin/..."
}

main() {
    local what=${1:-}
    case "$what" in
        demo|test|install) ;;
        *) echo "usage: $0 demo|test|install" >&2; exit 2 ;;
    esac
    install_packages
    ensure_locale
    install_python
    link_commands
    case "$what" in
        demo) exec "$VENV/bin/python" examples/judge_demo.py ;;
        test) exec "$VENV/bin/python" -m pytest -q ;;
        install) say "ready: sio-batch, sio-judge... (in $VENV/bin, linked into /usr/local/bin)" ;;
    esac
}

main "$@"
