#!/bin/sh
# `make dist`: a relocatable ttcg for compute nodes without Swift, libzmq or HDF5.
#
#   sh cluster/dist/make-dist.sh            # -> dist/ttcg-VERSION-linux-x86_64.tar.gz
#
# The binary is built with the Swift runtime and Foundation linked statically
# (--static-swift-stdlib, in .build-dist so the ordinary build is untouched). Every shared
# library it then needs beyond glibc (libzmq and HDF5 with their dependencies: libsodium,
# libcurl, krb5, libstdc++, ...) is copied from this machine into lib/, and the binary finds
# them through its RUNPATH, $ORIGIN/../lib, wherever the directory is unpacked. The
# licence texts of what is bundled come from each library's Debian package. Nothing is
# downloaded: the libraries are the ones `make deps` installed.
#
# Layout: bin/ttcg, lib/*.so*, share/ttcg/BUILD (version, commit), cluster/ (Slurm
# scripts, the Apptainer definition), README.md, licenses/.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=${DIST_SCRATCH:-$root/.build-dist}
version=$(sed -n 's/.*public static let version = "\(.*\)".*/\1/p' "$root/Sources/TTCGCommands/TTCG.swift")
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit+changes"
name="ttcg-$version-linux-$(uname -m)"
out="$root/dist/$name"

if ! command -v patchelf >/dev/null; then
    if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends patchelf >/dev/null
    else echo "make dist: patchelf is missing: apt-get install patchelf" >&2; exit 1; fi
fi

echo "== building ttcg $version ($commit) with the Swift runtime linked statically"
swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product ttcg 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
bin="$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)/ttcg"
[ -x "$bin" ] || { echo "make dist: the build failed" >&2; exit 1; }

rm -rf "$out" "$out.tar.gz"
mkdir -p "$out/bin" "$out/lib" "$out/share/ttcg" "$out/licenses" "$out/cluster"
cp "$bin" "$out/bin/ttcg"
strip --strip-unneeded "$out/bin/ttcg" 2>/dev/null || true

# Shared libraries beyond glibc's own, by the names the binary and each other ask for.
is_glibc() {
    case "$1" in
        libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|libutil.so.*|ld-linux*|linux-vdso*) return 0 ;;
    esac
    return 1
}
ldd "$out/bin/ttcg" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r soname path; do
    is_glibc "$soname" && continue
    cp -L "$path" "$out/lib/$soname"
    chmod 0644 "$out/lib/$soname"
    # The licence of the Debian package the library comes from.
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1)
    [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ] && cp "/usr/share/doc/$pkg/copyright" "$out/licenses/$pkg.copyright"
done
patchelf --set-rpath '$ORIGIN/../lib' "$out/bin/ttcg"
for lib in "$out"/lib/*; do patchelf --set-rpath '$ORIGIN' "$lib"; done
# Swift's own runtime and Foundation are inside the binary: their licence (Apache 2.0 with
# the runtime library exception) goes along.
for f in /opt/swift/usr/share/swift/LICENSE.txt /opt/swift/usr/share/doc/swift/LICENSE.txt; do
    [ -f "$f" ] && cp "$f" "$out/licenses/swift.LICENSE.txt" && break
done
[ -f "$out/licenses/swift.LICENSE.txt" ] || echo "Swift runtime and Foundation: Apache License 2.0 with Runtime Library Exception (https://swift.org/LICENSE.txt)" > "$out/licenses/swift.LICENSE.txt"

printf 'ttcg %s\ncommit %s\nbuilt %s on %s\n' "$version" "$commit" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(. /etc/os-release && echo "$PRETTY_NAME")" > "$out/share/ttcg/BUILD"
cp -R "$root/cluster/slurm" "$out/cluster/slurm"
[ -d "$root/cluster/apptainer" ] && cp -R "$root/cluster/apptainer" "$out/cluster/apptainer"
cp "$root/cluster/README.md" "$out/cluster/README.md"
cp "$root/cluster/dist/README.dist.md" "$out/README.md"

tar -C "$root/dist" -czf "$out.tar.gz" "$name"
echo "== $out.tar.gz ($(du -h "$out.tar.gz" | cut -f1)): bin/ttcg and $(ls "$out/lib" | wc -l) libraries"
