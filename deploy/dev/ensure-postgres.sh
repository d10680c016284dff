#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries (initdb, postgres) are on this machine, for the
# private clusters of `make demo` and `make test`. Installs Debian's package when run as
# root with apt-get; otherwise says exactly what to install.
set -euo pipefail
if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: installing Debian's postgresql package" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
echo "ensure-postgres: PostgreSQL server binaries not found. Install them with" >&2
echo "  sudo apt-get install -y postgresql        (Debian/Ubuntu)" >&2
echo "or set TONGBAN_PG_BIN to the folder holding initdb and postgres." >&2
exit 1
