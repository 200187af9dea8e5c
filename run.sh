#!/usr/bin/env bash
# synack's one entry point.  On a fresh Debian machine:
#   ./run.sh demo    build and play the demo on the simulated network, then
#                    list the scenario catalogue (synack sim list)
#   ./run.sh test    install what the tests need, build (plain, ASan+UBSan,
#                    fuzz) and run the whole test suite
#   ./run.sh bench   build with optimisation and print the benchmark figures
#   ./run.sh fuzz [SECONDS]   a longer libFuzzer run (default 600 s)
set -euo pipefail
cd "$(dirname "$0")"
JOBS=$(nproc 2>/dev/null || echo 2)

# Debian packages each job needs; installed only if something is missing.
BUILD_PKGS="build-essential cmake pkg-config libcmocka-dev"
TEST_PKGS="$BUILD_PKGS clang libclang-rt-dev tshark libxml2-utils iproute2 curl python3 chromium iputils-ping"

need_install() { # $1: command or header that must exist
	case "$1" in
	*.h) [ ! -e "/usr/include/$1" ] ;;
	*) ! command -v "$1" >/dev/null 2>&1 ;;
	esac
}

install_pkgs() {
	local missing=0
	for probe in "$@"; do need_install "$probe" && missing=1; done
	# libFuzzer's runtime has no command to probe: look for the archive.
	if [ "${WANT_FUZZ:-0}" = 1 ] && ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
		missing=1
	fi
	[ "$missing" = 0 ] && return 0
	local sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "run.sh: missing packages and not root; install: $PKGS" >&2; exit 1; }
		sudo=sudo
	fi
	echo "run.sh: installing $PKGS"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PKGS >/dev/null
}

build() { # $1: build dir, rest: cmake options
	local dir=$1
	shift
	cmake -S . -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$JOBS" >/dev/null
}

cmd_demo() {
	PKGS=$BUILD_PKGS install_pkgs cc cmake cmocka.h
	build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	./build/synack demo "$@"
	echo
	echo "More runs, each answering a question about TCP (./build/synack sim NAME plays one;"
	echo "docs/guide.md shows them all):"
	echo
	./build/synack sim list
}

# Runs one ctest tree and keeps its counts for the summary.
PASSED=0
FAILED=0
SKIPPED=0
run_ctest() { # $1: label, $2: build dir
	local out rc
	echo "== $1 =="
	set +e
	(cd "$2" && ctest --output-on-failure -j"$JOBS") | tee "$2/ctest.log"
	rc=${PIPESTATUS[0]}
	set -e
	local line
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$2/ctest.log" | tail -1 || true)
	if [ -n "$line" ]; then
		local failed total
		failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
		total=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/')
		# CTest counts a skipped test (the interop tests without
		# CAP_NET_ADMIN) as not failed; report it apart.
		local skipped
		skipped=$(grep -c '(Skipped)$' "$2/ctest.log" || true)
		PASSED=$((PASSED + total - failed - skipped))
		FAILED=$((FAILED + failed))
		SKIPPED=$((SKIPPED + skipped))
	else
		FAILED=$((FAILED + 1))
	fi
	return 0
}

cmd_test() {
	PKGS=$TEST_PKGS WANT_FUZZ=1 install_pkgs cc cmake clang tshark xmllint ip curl python3 chromium ping cmocka.h
	build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
	build build-asan -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=ON
	CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=ON -DSYNACK_FUZZ=ON
	run_ctest "plain build" build
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest "ASan + UBSan build" build-asan
	echo "== fuzz (short run) =="
	if scripts/fuzz.sh build-fuzz 20; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
	fi
	if [ "$SKIPPED" -gt 0 ]; then
		echo "test: $PASSED passed, $FAILED failed, $SKIPPED skipped"
	else
		echo "test: $PASSED passed, $FAILED failed"
	fi
	[ "$FAILED" = 0 ]
}

cmd_bench() {
	PKGS=$BUILD_PKGS install_pkgs cc cmake cmocka.h
	build build-release -DCMAKE_BUILD_TYPE=Release
	for b in build-release/bench_*; do
		[ -x "$b" ] || continue
		echo "== $(basename "$b") =="
		"$b"
	done
}

cmd_fuzz() {
	PKGS=$TEST_PKGS WANT_FUZZ=1 install_pkgs cc cmake clang cmocka.h
	CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=ON -DSYNACK_FUZZ=ON
	scripts/fuzz.sh build-fuzz "${1:-600}"
}

case "${1:-}" in
demo) shift; cmd_demo "$@" ;;
test) cmd_test ;;
bench) cmd_bench ;;
fuzz) shift; cmd_fuzz "$@" ;;
*) echo "usage: ./run.sh demo|test|bench|fuzz [SECONDS]" >&2; exit 2 ;;
esac
