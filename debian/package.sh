# Sourced by ./run (which gives ROOT, JOBS and as_root): hemd's Debian packages, built the Debian way
# (dpkg-buildpackage, debian/rules) into dist/.
#   amd64         natively on this machine, from a copy of the working tree
#   arm64, armhf  across, in a Debian 12 chroot with the foreign architecture added (multiarch) and
#                 crossbuild-essential-<arch>; the unit tests run under qemu-user-static
# The cross build needs its own chroot because not every -dev package is co-installable for two
# architectures: libyaml-cpp-dev and liblemon-dev are not Multi-Arch: same, so installing their :arm64 build
# would remove the amd64 ones this machine builds hemd with. The chroots are made once (debootstrap) and kept
# in $HEMD_CHROOTS.

PACKAGE_TOOLS="debhelper dpkg-dev lintian debootstrap"
CHROOTS=${HEMD_CHROOTS:-/var/cache/hemd-build}
SUITE=bookworm

package_version() { dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version; }

# What `hemd --version` names; the staged copy has no .git, so it is asked here and handed to debian/rules.
package_revision() {
  [ "$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null)" = "$ROOT" ] &&
    git -C "$ROOT" describe --always --dirty --abbrev=12 --exclude='*' 2>/dev/null || echo unknown
}

# The working tree as it is (committed or not), without .git and without anything .gitignore names (build
# trees, dist/, node_modules), into DEST: dpkg-buildpackage writes beside its source tree, so the source is a
# copy in a folder of ours, never the checkout itself.
stage_source() {
  rm -rf "$1" && mkdir -p "$1"
  if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
      tar -xf - -C "$1"
  else
    tar -C "$ROOT" --exclude='./build*' --exclude=./dist --exclude=node_modules -cf - . | tar -xf - -C "$1"
  fi
}

# in_chroot DIR COMMAND: COMMAND (bash) as root inside DIR, with /proc and /dev; the mounts live in a mount
# namespace of their own and go with it.
in_chroot() {
  as_root unshare --mount --fork -- sh -c \
    'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && exec chroot "$1" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive bash -euo pipefail -c "$2"' \
    sh "$1" "$2"
}

# make_chroot DIR: a minimal Debian 12 with this machine's apt sources (so it resolves the same versions the
# packages were built against). Made in DIR.new and renamed, so an interrupted run never leaves half a chroot.
make_chroot() {
  local dir=$1
  [ -x "$dir/usr/bin/apt-get" ] && return 0
  echo "package: making the $SUITE chroot $dir (once; a few minutes)" >&2
  as_root rm -rf "$dir.new"
  as_root mkdir -p "$(dirname "$dir")"
  as_root debootstrap --variant=minbase "$SUITE" "$dir.new" "${HEMD_MIRROR:-http://deb.debian.org/debian}" >"$dir.log" 2>&1 ||
    { tail -n 20 "$dir.log" >&2; return 1; }
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    as_root cp /etc/apt/sources.list.d/debian.sources "$dir.new/etc/apt/sources.list.d/"
    as_root rm -f "$dir.new/etc/apt/sources.list"
  fi
  as_root cp /etc/resolv.conf "$dir.new/etc/resolv.conf"
  as_root mv "$dir.new" "$dir"
}

# cross_chroot ARCH: the build chroot for ARCH, with its toolchain and hemd's build dependencies for ARCH.
cross_chroot() {
  local arch=$1 dir=$CHROOTS/$SUITE-build-$1
  make_chroot "$dir" || return 1
  in_chroot "$dir" "
    dpkg --print-foreign-architectures | grep -qx $arch || dpkg --add-architecture $arch
    if ! dpkg-query -W -f='\${Status}' crossbuild-essential-$arch 2>/dev/null | grep -q 'ok installed'; then
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends build-essential crossbuild-essential-$arch debhelper dpkg-dev \
        qemu-user-static ccache >/dev/null
    fi" >&2 || return 1
  echo "$dir"
}

# build_packages ARCH [nocheck]: dist/hemd_<version>_ARCH.deb and its -dbgsym. Without nocheck the unit tests
# run in the build (under qemu for a foreign ARCH).
build_packages() {
  local arch=$1 nocheck=${2:-} version revision native started work profiles options
  native=$(dpkg --print-architecture)
  version=$(package_version) revision=$(package_revision) started=$(date +%s)
  options="parallel=$JOBS${nocheck:+ nocheck}"
  profiles=${nocheck:+nocheck}
  mkdir -p "$ROOT/dist"
  rm -f "$ROOT/dist/hemd_${version}_$arch.deb" "$ROOT/dist/hemd-dbgsym_${version}_$arch.deb"
  if [ "$arch" = "$native" ]; then
    work=$ROOT/build-deb/$arch
    stage_source "$work/hemd-${version%-*}"
    # A developer's ccache makes a second package build cheap (the staged path stays the same); CI has none.
    (cd "$work/hemd-${version%-*}" && HEMD_GIT_REVISION=$revision DEB_BUILD_OPTIONS=$options \
      HEMD_LAUNCHER=$(command -v ccache || true) dpkg-buildpackage -b -us -uc ${profiles:+-P$profiles}) \
      >"$work/build.log" 2>&1 || { tail -n 60 "$work/build.log"; echo "package: $arch failed, see $work/build.log"; return 1; }
  else
    local chroot
    chroot=$(cross_chroot "$arch") || return 1
    # debian/rules runs the tests of a cross build under qemu-user (dh asks to be told).
    [ -z "$nocheck" ] && options="$options crossbuildcanrunhostbinaries"
    work=$chroot/build
    as_root rm -rf "$work" && as_root mkdir -p "$work"
    stage_source "$ROOT/build-deb/stage" && as_root cp -a "$ROOT/build-deb/stage" "$work/hemd-${version%-*}"
    # valijson's headers without its package, whose dependency on the build machine's libyaml-cpp-dev would
    # conflict with libyaml-cpp-dev:$arch (debian/control leaves it out of the cross profile).
    in_chroot "$chroot" "[ -d /usr/include/valijson ] || { cd /tmp && apt-get download -qq libvalijson-dev &&
        dpkg-deb -x libvalijson-dev_*.deb / && rm libvalijson-dev_*.deb; }
      cd /build/hemd-${version%-*}
      apt-get build-dep -y -qq -a $arch -Pcross${profiles:+,$profiles} ./ >/dev/null ||
        { apt-get update -qq && apt-get build-dep -y -qq -a $arch -Pcross${profiles:+,$profiles} ./ >/dev/null; }
      command -v ccache >/dev/null || apt-get install -y -qq --no-install-recommends ccache >/dev/null
      HEMD_GIT_REVISION=$revision DEB_BUILD_OPTIONS='$options' HEMD_LAUNCHER=/usr/bin/ccache \
        dpkg-buildpackage -b -us -uc -a$arch -Pcross${profiles:+,$profiles}" \
      >"$ROOT/build-deb/$arch.log" 2>&1 ||
      { tail -n 60 "$ROOT/build-deb/$arch.log"; echo "package: $arch failed, see build-deb/$arch.log"; return 1; }
  fi
  cp "$work"/hemd_"${version}"_"$arch".deb "$work"/hemd-dbgsym_"${version}"_"$arch".deb "$ROOT/dist/"
  echo "package: $arch built in $(($(date +%s) - started)) s${nocheck:+ (no tests)}"
}

# lintian on what dist/ holds: an error fails, the rest is listed (docs/install.md says why each remains).
lint_packages() {
  local out
  out=$(lintian --fail-on error --tag-display-limit 0 "$@" 2>&1) || { echo "$out"; echo "package: lintian found errors"; return 1; }
  [ -n "$out" ] && echo "$out" | sed 's/^/lintian: /'
  return 0
}

list_packages() {
  local f
  for f in "$@"; do
    printf '%-46s %7s kB  (installed %s kB)\n' "dist/$(basename "$f")" "$(( ($(stat -c %s "$f") + 512) / 1024 ))" \
      "$(dpkg-deb -f "$f" Installed-Size)"
  done
}

package() {
  local arches=("$@") arch built=()
  [ ${#arches[@]} -eq 0 ] && arches=("$(dpkg --print-architecture)" arm64)
  for arch in "${arches[@]}"; do
    build_packages "$arch" "${HEMD_PACKAGE_NOCHECK:+nocheck}" || return 1
    built+=("$ROOT"/dist/hemd_"$(package_version)"_"$arch".deb "$ROOT"/dist/hemd-dbgsym_"$(package_version)"_"$arch".deb)
  done
  lint_packages "${built[@]}" || return 1
  list_packages "${built[@]}"
}
