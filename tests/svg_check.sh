#!/usr/bin/env bash
# The SVG ladders (SPEC F04) are well-formed XML and a browser draws them:
# every scenario's SVG passes xmllint, and headless Chromium's screenshots
# of two of them are far from blank, with red in the one that loses
# segments.  Missing tools fail the test (./run.sh test installs them).
# Usage: tests/svg_check.sh SYNACK_BINARY
set -euo pipefail
synack=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in xmllint chromium python3; do
	command -v "$tool" >/dev/null || { echo "svg_check: $tool is missing (./run.sh test installs it)"; exit 1; }
done

names=$("$synack" sim list | awk '{print $1}')
[ -n "$names" ] || { echo "svg_check: 'synack sim list' printed nothing"; exit 1; }
for name in $names; do
	"$synack" sim "$name" --svg "$work/$name.svg" >/dev/null
	xmllint --noout "$work/$name.svg"
done
"$synack" demo --loss 30 --seed 3 --pcap "$work/demo.pcap" --svg "$work/demo-loss.svg" >/dev/null
xmllint --noout "$work/demo-loss.svg"
echo "svg_check: $(echo "$names" | wc -l) scenario SVGs and the lossy demo's are well-formed"

shot() { # $1: svg, $2: png
	if ! timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$work/profile-$(basename "$1")" --screenshot="$2" --window-size=1000,1400 \
		"file://$1" >"$work/chromium.log" 2>&1 || [ ! -s "$2" ]; then
		echo "svg_check: chromium could not screenshot $1:"
		tail -20 "$work/chromium.log"
		exit 1
	fi
}
shot "$work/lifecycle.svg" "$work/lifecycle.png"
python3 "$here/png_pixels.py" "$work/lifecycle.png" --min-dark 5000
shot "$work/demo-loss.svg" "$work/demo-loss.png"
python3 "$here/png_pixels.py" "$work/demo-loss.png" --min-dark 5000 --min-red 100
