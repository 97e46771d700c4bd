# tests/e2e/netdata_lib.sh — shared by the netdata end-to-end tests (sourced
# after tests/lib.sh; not executable, so run-tests.sh skips it). Each test
# gets a work dir holding a netdata of its own: config, plugins.d with the
# built ctscope.plugin setcap'd as `make install` does, health, logs, a
# web port on 127.0.0.1; started in the foreground, stopped by the test.

ND_PLUGIN=$BUILD/netdata-plugin/ctscope.plugin
ND_HEALTH_CONF=$CTSCOPE_SRC/netdata-plugin/health.d/ctscope.conf

# Fails (root, so nothing should be missing) unless every tool is there.
nd_require() {
	local cmd
	for cmd in netdata curl setcap getcap conntrack python3 "$@"; do
		command -v "$cmd" >/dev/null || ct_fail "$cmd is not installed (sudo make deps installs it)"
	done
	id netdata >/dev/null 2>&1 || ct_fail "no user netdata: install netdata-core (sudo make deps)"
	[ -x "$ND_PLUGIN" ] || ct_fail "$ND_PLUGIN is missing: run 'make BUILD=$BUILD' first"
	[ -x "$CTINJECT" ] || ct_fail "$CTINJECT is missing: run 'make BUILD=$BUILD tests' first"
}

# nd_workdir NAME: sets W to a fresh directory user netdata can enter,
# removed when the test ends.
nd_workdir() {
	W=$(mktemp -d "/tmp/ctscope-t-$1.XXXXXX") || ct_fail "cannot make a work directory in /tmp"
	ct_on_exit "rm -rf '$W'"
	chmod 0755 "$W"
	mkdir -p "$W/etc" "$W/plugins.d" "$W/health.d" "$W/stock-health.d" "$W/log" "$W/cache" "$W/lib" "$W/lock"
	chown netdata:netdata "$W/log" "$W/cache" "$W/lib" "$W/lock"
}

# nd_install_plugin [NO_CAPS]: the built plugin into $W/plugins.d the way
# `make install` does it (root:netdata 0750, capabilities); with NO_CAPS,
# without capabilities. The alarms go into the stock health directory.
nd_install_plugin() {
	install -m 0750 -o root -g netdata "$ND_PLUGIN" "$W/plugins.d/ctscope.plugin" || ct_fail "cannot copy $ND_PLUGIN"
	if [ -z "${1:-}" ]; then
		setcap cap_net_admin,cap_sys_admin+ep "$W/plugins.d/ctscope.plugin" ||
			ct_fail "setcap failed on $W/plugins.d/ctscope.plugin"
	fi
	install -m 0644 "$ND_HEALTH_CONF" "$W/stock-health.d/ctscope.conf"
}

# nd_make_install / nd_make_uninstall: the Makefile's own install-netdata
# and uninstall-netdata into DESTDIR=$W, netdata's directories being
# $W/plugins.d and $W/stock-health.d. -o: install the plugin under test as
# built, never rebuild it here.
ND_MAKE_VARS=(NETDATA_PLUGINS_DIR=/plugins.d NETDATA_HEALTH_DIR=/stock-health.d)
nd_make_install() {
	make -s -C "$CTSCOPE_SRC" -o "$ND_PLUGIN" BUILD="$BUILD" DESTDIR="$W" "${ND_MAKE_VARS[@]}" install-netdata \
		>"$W/install.out" 2>&1 || { cat "$W/install.out"; ct_fail "make install-netdata failed"; }
	local f=$W/plugins.d/ctscope.plugin
	[ "$(stat -c '%U:%G %a' "$f")" = "root:netdata 750" ] ||
		ct_fail "make install-netdata made $f $(stat -c '%U:%G %a' "$f"), not root:netdata 750"
	getcap "$f" | grep -q 'cap_net_admin,cap_sys_admin=ep' ||
		ct_fail "make install-netdata left $f without its capabilities: '$(getcap "$f")'"
	cmp -s "$ND_HEALTH_CONF" "$W/stock-health.d/ctscope.conf" || ct_fail "make install-netdata did not install the alarms"
}
nd_make_uninstall() {
	make -s -C "$CTSCOPE_SRC" -o "$ND_PLUGIN" BUILD="$BUILD" DESTDIR="$W" "${ND_MAKE_VARS[@]}" uninstall-netdata \
		>"$W/uninstall.out" 2>&1 || { cat "$W/uninstall.out"; ct_fail "make uninstall-netdata failed"; }
	[ ! -e "$W/plugins.d/ctscope.plugin" ] && [ ! -e "$W/stock-health.d/ctscope.conf" ] ||
		ct_fail "make uninstall-netdata left files behind: $(ls "$W/plugins.d" "$W/stock-health.d")"
}

# nd_free_port: a TCP port on 127.0.0.1 nobody listens on right now.
nd_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nd_conf PORT "COMMAND OPTIONS": a netdata.conf with every directory in
# $W, the web server on 127.0.0.1:PORT, only the ctscope plugin running,
# in-memory database, health on.
nd_conf() {
	ND_PORT=$1
	cat >"$W/netdata.conf" <<EOF
[global]
	run as user = netdata
	hostname = ctscope-e2e
[db]
	mode = ram
	update every = 1
[directories]
	config = $W/etc
	stock config = /usr/lib/netdata/conf.d
	plugins = "$W/plugins.d"
	health config = $W/health.d
	stock health config = $W/stock-health.d
	log = $W/log
	cache = $W/cache
	lib = $W/lib
	lock = $W/lock
[logs]
	error = $W/log/error.log
	access = none
	debug = $W/log/debug.log
[web]
	bind to = 127.0.0.1:$ND_PORT
[plugins]
	enable running new plugins = no
	ctscope = yes
	proc = no
	diskspace = no
	cgroups = no
	tc = no
	idlejitter = no
	timex = no
	checks = no
	apps = no
	nfacct = no
	perf = no
	slabinfo = no
	statsd = no
	netdata monitoring = no
	go.d = no
	python.d = no
	charts.d = no
	ebpf = no
[plugin:ctscope]
	update every = 1
	command options = $2
[health]
	enabled = yes
[ml]
	enabled = no
[registry]
	enabled = no
[statsd]
	enabled = no
EOF
}

# nd_start: netdata -D (foreground) in the background; it switches to user
# netdata itself. Sets ND_PID, stops it when the test exits.
nd_start() {
	netdata -D -c "$W/netdata.conf" >"$W/netdata.out" 2>&1 &
	ND_PID=$!
	ct_on_exit "nd_stop"
	local i
	for ((i = 0; i < 60; i++)); do
		curl -sf "http://127.0.0.1:$ND_PORT/api/v1/info" >/dev/null && return 0
		nd_alive
		sleep 0.5
	done
	nd_show_logs
	ct_fail "netdata does not answer on 127.0.0.1:$ND_PORT after 30 s"
}

# nd_stop: SIGTERM (netdata's clean shutdown, which stops its plugins),
# then wait for it; SIGKILL after 30 s.
nd_stop() {
	[ -n "${ND_PID:-}" ] || return 0
	ct_stop "$ND_PID" 30 || echo "netdata needed SIGKILL"
	ND_PID=
}

nd_alive() {
	kill -0 "$ND_PID" 2>/dev/null && return 0
	nd_show_logs
	ct_fail "netdata exited early"
}

nd_show_logs() {
	echo "--- netdata error.log ($W/log/error.log), ctscope and plugin lines ---"
	grep -iE 'ctscope|PLUGINSD' "$W/log/error.log" 2>/dev/null | tail -n 40
	echo "--- netdata stdout/stderr ---"
	tail -n 20 "$W/netdata.out" 2>/dev/null
}

# nd_api PATH: GET from the test netdata's API.
nd_api() { curl -sf "http://127.0.0.1:$ND_PORT$1"; }

# nd_wait SECONDS WHAT 'SHELL CODE': evaluates the code (single-quoted, so
# its $(...) runs afresh) every 0.5 s until it succeeds; fails the test
# naming WHAT when SECONDS pass.
nd_wait() {
	local secs=$1 what=$2 i
	for ((i = 0; i < secs * 2; i++)); do
		eval "$3" && return 0
		nd_alive
		sleep 0.5
	done
	nd_show_logs
	ct_fail "no $what after ${secs} s"
}

# nd_plugin_pids: pids of processes running this test's copy of the plugin.
nd_plugin_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$W/plugins.d/ctscope.plugin" ] && echo "${p#/proc/}"
	done
	return 0
}

# nd_last_value CHART DIMENSION_ID: the newest non-null value netdata stored.
nd_last_value() {
	nd_api "/api/v1/data?chart=$1&dimension=$2&after=-10&format=json&options=seconds" |
		python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin)["data"] if r[1] is not None]
print("%g" % rows[0][1] if rows else "")' 2>/dev/null
}
