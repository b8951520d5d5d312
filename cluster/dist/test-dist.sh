#!/bin/bash
# The dist test (issue 15), part of `make test`; needs root (debootstrap, chroot, mounts).
#
#   TTCG_BIN=.build/release/ttcg TTCG_PYTHON=.venv/bin/python bash cluster/dist/test-dist.sh
#
# 1. `make dist` builds the tarball.
# 2. A minimal Debian (debootstrap --variant=minbase, cached in .build-dist/chroot) with no
#    Swift, libzmq or HDF5 gets the tarball unpacked at /opt, as cluster/README.md's
#    *Deploy* section says; in a chroot: `ttcg --version`, `ttcg solve` on the Appendix A
#    market, `ldd` (glibc and the tarball's lib/ only), and a 2-worker `ttcg run` whose file
#    must equal the same run of the build-tree binary: every dataset bit for bit, every
#    attribute but the start and finish times (cluster/test/compare-results.py).
# 3. With the Swift toolchain hidden (a private mount namespace, an empty tmpfs over it),
#    the build-tree binary no longer starts and the dist binary still does.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
TTCG_BIN=${TTCG_BIN:?set TTCG_BIN to the build-tree ttcg}
fail() { echo "test-dist: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, mount namespaces)"
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null
command -v patchelf >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends patchelf >/dev/null

echo "== make dist"
make --no-print-directory dist
tarball=$(ls -t dist/ttcg-*-linux-*.tar.gz | head -n 1)
name=$(basename "$tarball" .tar.gz)

chroot_dir="$root/.build-dist/chroot"
if [ ! -f "$chroot_dir/.ttcg-ready" ]; then
    echo "== debootstrap --variant=minbase bookworm (cached in $chroot_dir)"
    rm -rf "$chroot_dir"; mkdir -p "$root/.build-dist"
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    debootstrap --variant=minbase bookworm "$chroot_dir" "${mirror:-http://deb.debian.org/debian}" > "$root/.build-dist/debootstrap.log" 2>&1 \
        || { tail -n 20 "$root/.build-dist/debootstrap.log" >&2; fail "debootstrap"; }
    touch "$chroot_dir/.ttcg-ready"
fi
for lib in libzmq libhdf5 libswiftCore libFoundation; do
    if find "$chroot_dir/usr" "$chroot_dir/lib" -name "$lib*" 2>/dev/null | grep -q .; then fail "the chroot has $lib"; fi
done

# The deploy steps of cluster/README.md, literally: unpack, and use bin/ttcg from there.
rm -rf "$chroot_dir/opt/ttcg-"* "$chroot_dir/work"
mkdir -p "$chroot_dir/work"
tar -xzf "$tarball" -C "$chroot_dir/opt"
cp jobs/examples/appendix-a.yaml Tests/TTCGCommandsTests/Fixtures/e2e.yaml "$chroot_dir/work/"
in_chroot() {
    unshare -m sh -c "mount -t proc proc '$chroot_dir/proc' && exec chroot '$chroot_dir' /usr/bin/env -i PATH=/usr/bin:/bin HOME=/work sh -c \"cd /work && \$0\"" "$1"
}
echo "== in the chroot: ttcg --version"
in_chroot "/opt/$name/bin/ttcg --version" | tee "$root/.build-dist/version.txt"
grep -qE '^ttcg [0-9.]+ \(commit [^;]+; libzmq [0-9.]+; HDF5 [0-9.]+\)$' "$root/.build-dist/version.txt" || fail "ttcg --version"
echo "== in the chroot: ldd"
in_chroot "ldd /opt/$name/bin/ttcg" > "$root/.build-dist/ldd.txt"
bad=$(awk '$2 == "=>" { print $1, $3 }' "$root/.build-dist/ldd.txt" | grep -vE "^(libc|libm|libpthread|libdl|librt|libresolv|libutil)\.so| /opt/$name/(bin/\.\./)?lib/" || true)
[ -z "$bad" ] || fail "ldd lists libraries from outside the tarball: $bad"
grep -q "not found" "$root/.build-dist/ldd.txt" && fail "ldd: $(grep 'not found' "$root/.build-dist/ldd.txt")"
echo "== in the chroot: ttcg solve (Appendix A)"
in_chroot "/opt/$name/bin/ttcg solve appendix-a.yaml --beta inf" > "$root/.build-dist/solve.txt" || fail "solve"
"$TTCG_BIN" solve jobs/examples/appendix-a.yaml --beta inf > "$root/.build-dist/solve-ref.txt"
diff -u "$root/.build-dist/solve-ref.txt" "$root/.build-dist/solve.txt" | sed 's/appendix-a.yaml//' | grep -E '^[-+][^-+]' | grep -v 'appendix-a' && fail "solve differs"
echo "== in the chroot: ttcg run, 2 workers; the same run of the build-tree binary"
in_chroot "/opt/$name/bin/ttcg run e2e.yaml --out e2e.h5 --workers 2 --threads 1 2>&1" > "$root/.build-dist/run.txt" || { tail -n 5 "$root/.build-dist/run.txt"; fail "run in the chroot"; }
ref="$root/.build-dist/e2e-ref.h5"
rm -f "$ref"
(cd "$chroot_dir/work" && "$TTCG_BIN" run e2e.yaml --out "$ref" --workers 2 --threads 1 > /dev/null 2>&1)
# Every dataset bit for bit and every attribute but the start and finish times.
"${TTCG_PYTHON:-python3}" cluster/test/compare-results.py "$ref" "$chroot_dir/work/e2e.h5" \
    || fail "the dist binary's results file differs from the build-tree binary's"

# The same steps into a folder standing for a shared filesystem: the Slurm test's jobs run
# the binary from there (TTCG=.build-dist/deploy/current/bin/ttcg, make test).
rm -rf "$root/.build-dist/deploy"
mkdir -p "$root/.build-dist/deploy"
tar -xzf "$tarball" -C "$root/.build-dist/deploy"
ln -s "$name" "$root/.build-dist/deploy/current"
# The tarball tested here, for the Slurm test's sbcast check (TTCG_DIST_TARBALL, make test).
ln -sfn "$root/$tarball" "$root/.build-dist/tarball"

echo "== the toolchain hidden: the build-tree binary fails, the dist binary runs"
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
unshare -m sh -c "mount -t tmpfs none '$toolchain' && ! '$TTCG_BIN' --version > /dev/null 2>&1 && '$chroot_dir/opt/$name/bin/ttcg' --version" \
    || fail "with $toolchain hidden, expected the build-tree binary to fail and the dist binary to run"
echo "test-dist: 1 passed, 0 failed"
