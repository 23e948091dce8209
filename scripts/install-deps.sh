#!/usr/bin/env bash
# Install the Debian 12 packages ward needs to build, test and document itself.
# Idempotent: when every package is already installed it touches nothing (no apt-get update).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libcli11-dev libssl-dev libssh2-1-dev libcurl4-openssl-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev catch2 libzstd-dev libargon2-dev libzxcvbn-dev libcrypt-dev
  libpq-dev libsqlite3-dev libhyperscan-dev libre2-dev
  mandoc groff-base bash-completion zsh fish openssl git strace curl jq
  # loopback test servers started by the integration tests
  openssh-server openssh-client postgresql
  # `ward cred import --input-format pass` and its test: the pass password store (with gnupg)
  pass gnupg
  # STARTTLS and HTTP servers for `ward check` tests
  mariadb-server python3-aiosmtpd nginx-light
  # tools of the integration tests: clock skew against the S3 server
  faketime python3
  # headless browser that renders `ward audit report --format html` in its test
  chromium
  # hardening (issue 9): libFuzzer and sanitizers, symbolized reports, memcheck, the lint gate
  clang-14 libclang-rt-14-dev llvm-14 valgrind clang-tidy-14 cppcheck
)
# s3rver (the S3 test server) comes from npm; a machine that already has Node.js from another
# source keeps it (Debian's npm package would conflict with it).
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed" >&2
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2

SUDO=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: error: not root and sudo is not available; run as root" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

APT=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
"${SUDO[@]}" "${APT[@]}" update
"${SUDO[@]}" "${APT[@]}" install -y --no-install-recommends "${missing[@]}"
