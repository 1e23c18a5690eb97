#!/usr/bin/env bash
# Installs every Debian 12 package that planreg's build, service and tests need
# (chromium renders the HTML board report in its test; python3-aiosmtpd is the
# SMTP server the reminder tests deliver to; systemd-analyze verifies the units;
# clang builds the libFuzzer variants of the fuzz targets, see README "Fuzzing";
# scdoc builds the man pages, man-db and groff-base render and check them).
# Idempotent: packages already present are left alone; apt-get runs only when
# something is missing. Must run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates clang clang-format
  libevent-dev libprotobuf-c-dev protobuf-c-compiler
  libpq-dev libssl-dev openssl libcurl4-openssl-dev libcmocka-dev
  postgresql-15 postgresql-client-15
  haproxy # the balancer in front of two daemons in the scale-out test
  python3 chromium python3-aiosmtpd systemd
  poppler-utils # pdfinfo and pdftotext read the PDF Chromium prints of the board report (tests/integration/test_report.py)
  python3-cryptography # Ed25519 for the Python reference of the verifiable log (tests/integration/tlog_ref.py)
  procps util-linux
  scdoc man-db groff-base
  # the Debian packages (debian/): built with debhelper, checked by lintian, installed into a
  # clean root that debootstrap makes (tests/integration/test_package.py)
  debhelper lintian debootstrap
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
