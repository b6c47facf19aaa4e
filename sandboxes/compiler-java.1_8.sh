#!/bin/sh
# compiler-java.1_8: upstream's Java sandbox, served by the machine's JDK
# (Debian's default-jdk-headless). The tree is a root for PRootExecutor
# that borrows the host's /usr and /etc (where the JDK and its
# configuration live) through PROOT_BINDS.
set -eu
dest=${1:?usage: compiler-java.1_8.sh DEST}
command -v java >/dev/null && command -v javac >/dev/null ||
    { echo "no JDK is installed (apt-get install default-jdk-headless)" >&2; exit 1; }
mkdir -p "$dest"
# Merged /usr: /bin, /lib... are links into /usr, as on the host.
for d in bin sbin lib lib32 lib64 libx32; do
    if [ -L "/$d" ]; then
        ln -s "$(readlink "/$d")" "$dest/$d"
    elif [ -d "/$d" ]; then
        echo "/$d" >> "$dest/PROOT_BINDS"
    fi
done
printf '%s\n' /usr /etc >> "$dest/PROOT_BINDS"
java -version > "$dest/JAVA_VERSION" 2>&1
cat > "$dest/README" <<'TXT'
compiler-java.1_8 for PRootExecutor, served by the machine's JDK: /usr and
/etc are bound in (PROOT_BINDS); JAVA_VERSION says which JDK it was.
TXT
