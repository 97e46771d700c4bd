#!/bin/sh
# Installs the Debian packages named on the command line, only those missing.
# Quiet when everything is present; idempotent.
set -eu
missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "ctscope: missing Debian packages:$missing" >&2
	echo "ctscope: run 'sudo make deps' (apt-get needs root)" >&2
	exit 1
fi
echo "ctscope: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
