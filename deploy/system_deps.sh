#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the project needs, when it can (root or sudo);
# otherwise says exactly what to install and fails.
#   deploy/system_deps.sh runtime   # WeasyPrint libraries, a Chinese font, python3-venv
#   deploy/system_deps.sh browser   # Debian's Chromium, for the browser tests
set -euo pipefail
want="${1:-runtime}"
missing=()

have_lib() { ldconfig -p 2>/dev/null | grep "$1" >/dev/null; }  # not -q: an early exit would SIGPIPE ldconfig under pipefail

if [ "$want" = runtime ]; then
  have_lib 'libpango-1.0.so' || missing+=(libpango-1.0-0)
  have_lib 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
  # Without harfbuzz-subset WeasyPrint embeds whole CJK fonts: seconds per PDF instead of ~0.1 s.
  have_lib 'libharfbuzz-subset.so' || missing+=(libharfbuzz-subset0)
  command -v fc-list >/dev/null || missing+=(fontconfig)
  [ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
elif [ "$want" = browser ]; then
  command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing+=(chromium)
else
  echo "usage: $0 runtime|browser" >&2; exit 2
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
