# tests/e2e/collectd_lib.sh — shared by the collectd end-to-end tests
# (sourced after tests/lib.sh; not executable, so run-tests.sh skips it).
# Each test gets a work dir with its own PluginDir, BaseDir and logs, and a
# collectd it starts in the foreground and stops itself.

CD_SO=$BUILD/collectd-plugin/ctscope.so
CD_STOCK_PLUGINS=/usr/lib/collectd
CD_HOST=ctscope-e2e # no dots: write_graphite would turn them into path levels

# Prefix for every collectd command: empty, or for a sanitizer build of
# ctscope.so the sanitizer runtimes preloaded (the distribution's collectd
# is not built with them, and ASan must come first). Leak detection stays
# off there: at exit it would report collectd's own allocations; the
# valgrind test covers leaks on a normal build.
CD_ENV=()

# Fails (root, so nothing should be missing) unless every tool is there.
cd_require() {
	local cmd
	for cmd in collectd conntrack python3 "$@"; do
		command -v "$cmd" >/dev/null || ct_fail "$cmd is not installed (sudo make deps installs it)"
	done
	[ -f "$CD_SO" ] || ct_fail "$CD_SO is missing: run 'make BUILD=$BUILD' first"
	[ -x "$CTINJECT" ] || ct_fail "$CTINJECT is missing: run 'make BUILD=$BUILD tests' first"
	if cd_sanitized; then
		local cc=${CC:-cc} rt=() lib
		for lib in libasan.so libubsan.so; do
			ldd "$CD_SO" | grep -q "${lib%.so}" && rt+=("$($cc -print-file-name=$lib)")
		done
		CD_ENV=(env "LD_PRELOAD=${rt[*]}" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
			UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
	fi
}

cd_sanitized() { ldd "$CD_SO" | grep -q 'libasan\|libubsan'; }

# cd_collectd ARGS...: collectd, with the sanitizer runtimes if needed.
cd_collectd() { "${CD_ENV[@]}" collectd "$@"; }

# cd_workdir NAME: sets W to a fresh directory, removed when the test ends
# (kept with CD_KEEP=1, to read the logs and files after a failure).
cd_workdir() {
	W=$(mktemp -d "/tmp/ctscope-t-$1.XXXXXX") || ct_fail "cannot make a work directory in /tmp"
	[ -n "${CD_KEEP:-}" ] || ct_on_exit "rm -rf '$W'"
}

# cd_plugindir PLUGIN...: copies ctscope.so and the named stock plugins into
# $W/plugins (collectd refuses symlinked plugins: "is not a regular file").
cd_plugindir() {
	mkdir -p "$W/plugins"
	cp "$CD_SO" "$W/plugins/ctscope.so" || ct_fail "cannot copy $CD_SO"
	local p
	for p in "$@"; do
		cp "$CD_STOCK_PLUGINS/$p.so" "$W/plugins/" || ct_fail "collectd's $p plugin is missing from $CD_STOCK_PLUGINS"
	done
}

# cd_conf_head INTERVAL: the global part of a test config, to stdout.
cd_conf_head() {
	cat <<EOF
Hostname "$CD_HOST"
FQDNLookup false
BaseDir "$W"
PIDFile "$W/collectd.pid"
PluginDir "$W/plugins"
TypesDB "/usr/share/collectd/types.db"
Interval $1
LoadPlugin logfile
<Plugin logfile>
	LogLevel info
	File "$W/collectd.log"
	Timestamp true
	PrintSeverity true
</Plugin>
EOF
}

# cd_start [WRAPPER...]: starts collectd -f -C $W/collectd.conf in the
# background (under WRAPPER, e.g. valgrind), sets CD_PID, stops it at exit.
cd_start() {
	"${CD_ENV[@]}" "$@" collectd -f -C "$W/collectd.conf" >"$W/collectd.out" 2>&1 &
	CD_PID=$!
	ct_on_exit "cd_stop"
}

# cd_stop: SIGTERM (collectd's clean shutdown), then wait for it.
cd_stop() {
	[ -n "${CD_PID:-}" ] || return 0
	ct_stop "$CD_PID" 60
	CD_PID=
}

# cd_alive: fails the test with collectd's log if it has exited.
cd_alive() {
	kill -0 "$CD_PID" 2>/dev/null && return 0
	cd_show_logs
	ct_fail "collectd exited early"
}

cd_show_logs() {
	echo "--- collectd log ($W/collectd.log) ---"
	tail -n 40 "$W/collectd.log" 2>/dev/null
	echo "--- collectd stdout/stderr ---"
	tail -n 20 "$W/collectd.out" 2>/dev/null
}

# cd_wait SECONDS WHAT 'SHELL CODE': evaluates the code (single-quoted, so
# its $(...) runs afresh each time) every 0.5 s until it succeeds; fails the
# test naming WHAT when SECONDS pass.
cd_wait() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 2; i++)); do
		eval "$1" && return 0
		[ -z "${CD_PID:-}" ] || cd_alive
		sleep 0.5
	done
	cd_show_logs
	ct_fail "no $what after ${secs} s"
}

# cd_free_port: a TCP port on 127.0.0.1 nobody listens on right now.
cd_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cd_listening() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null
}

# cd_fill NS: a few thousand entries with one hot destination, 192.0.2.80
# tcp/8443, and an IPv6 destination to show its spelling in file names.
# Long timeouts, so nothing expires while collectd reads.
cd_fill() {
	"$CTINJECT" --netns "$1" -q <<'EOF' || ct_fail "ctinject could not fill namespace $1"
proto=tcp src=10.1.0.1 dst=192.0.2.80 sport=1024 dport=8443 state=established timeout=7200 flags=assured,seen_reply count=2500 vary=sport
proto=tcp src=10.1.0.2 dst=198.51.100.1 sport=40000 dport=80 state=time_wait timeout=7200 flags=assured,seen_reply count=400 vary=dst
proto=udp src=10.1.0.3 dst=203.0.113.1 sport=5353 dport=53 timeout=7200 count=600 vary=dst
proto=tcp src=2001:db8::1 dst=2001:db8::bc sport=2000 dport=5228 state=established timeout=7200 flags=assured,seen_reply count=300 vary=sport
EOF
}

# cd_same A B: A and B are the same number (collectd writes 3800.000000).
cd_same() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 == b + 0) }'; }
