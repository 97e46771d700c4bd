/* main.c — ctscope.plugin: reads each namespace once per interval and
 * hands the snapshots to the protocol writer; everything netdata-specific
 * about the loop lives here (timing, signals, DISABLE, error.log).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "options.h"
#include "protocol.h"

#define PROG "ctscope.plugin"

struct ns {
	const char *spec; /* NULL: the namespace the plugin runs in */
	char label[64];
	struct ctscope_collector *collector;
	struct nd_state state;
	bool failing; /* reported on stderr, not yet recovered */
	int first_errno;
	char first_error[sizeof(((struct ctscope_error *)0)->message)];
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Ticks fall on multiples of the interval on the monotonic clock, as
 * netdata's own heartbeat does, so a slow read delays one tick instead of
 * shifting every later one; ticks missed during a long read are skipped. */
static void sleep_until_next_tick(uint64_t step_usec)
{
	uint64_t next = (monotonic_usec() / step_usec + 1) * step_usec;
	struct timespec ts = {.tv_sec = (time_t)(next / 1000000u), .tv_nsec = (long)(next % 1000000u) * 1000};
	while (!stop_requested && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static const char *ns_name(const struct ns *n)
{
	return n->spec ? n->spec : "(the plugin's own)";
}

/* DISABLE tells netdata not to restart us: a wrong option or a missing
 * capability will be just as wrong on the next start. */
static int disable(void)
{
	fputs("DISABLE\n", stdout);
	fflush(stdout);
	return 1;
}

static void install_signals(void)
{
	/* A closed stdout must come back as EPIPE from fflush, not kill us
	 * before we can tidy up. */
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the sleep must wake up to see the request. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* One namespace, one read. Failures are reported when they start and when
 * they end, never every tick: error.log is read by people. */
static bool read_one(struct ns *n, const struct ctscope_config *cfg, bool first_tick)
{
	struct ctscope_error err = {0};
	struct ctscope_snapshot snap;
	memset(&snap, 0, sizeof(snap));
	uint64_t now = monotonic_usec();
	int rc = -1;
	if (!n->collector)
		n->collector = ctscope_collector_new(cfg, n->spec, &err);
	if (n->collector)
		rc = ctscope_collector_read(n->collector, &snap, &err);
	if (rc != 0 && stop_requested) {
		/* Interrupted by the stop request (EINTR): not worth a line in
		 * error.log while netdata shuts down. */
		if (n->collector)
			ctscope_collector_free(n->collector);
		n->collector = NULL;
		return false;
	}
	if (rc != 0) {
		const char *why = err.message[0] ? err.message : "read failed without a reason (a ctscope bug)";
		/* On the first tick main() says what happens next, once it knows
		 * whether any namespace worked. */
		if (first_tick) {
			n->first_errno = err.code ? err.code : EIO;
			snprintf(n->first_error, sizeof(n->first_error), "%s", why);
		} else if (!n->failing) {
			fprintf(stderr, PROG ": namespace %s: %s; will retry every %u s\n", ns_name(n), why,
			        n->state.update_every);
		}
		n->failing = true;
		/* A fresh socket next time: after an error the old one may be
		 * out of step with the kernel. */
		if (n->collector)
			ctscope_collector_free(n->collector);
		n->collector = NULL;
		return false;
	}
	if (n->failing)
		fprintf(stderr, PROG ": namespace %s: readable again\n", ns_name(n));
	n->failing = false;
	if (nd_write_snapshot(stdout, &n->state, &snap, now) != 0)
		fprintf(stderr, PROG ": namespace %s: out of memory formatting this read; skipped it\n", ns_name(n));
	ctscope_snapshot_clear(&snap);
	return true;
}

/* Nothing readable on the first tick. A namespace that does not exist yet
 * (ENOENT) may appear later, so that alone keeps us running; anything else
 * (no CAP_NET_ADMIN, no ctnetlink) will not fix itself. */
static bool hopeless(const struct ns *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].first_errno == 0 || v[i].first_errno == ENOENT)
			return false;
	return true;
}

static bool permission_denied(const struct ns *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].first_errno == EPERM || v[i].first_errno == EACCES)
			return true;
	return false;
}

static void report_first_tick(const struct ns *v, size_t n, bool give_up, unsigned update_every)
{
	for (size_t i = 0; i < n; i++) {
		if (!v[i].first_errno)
			continue;
		if (give_up)
			fprintf(stderr, PROG ": namespace %s: %s\n", ns_name(&v[i]), v[i].first_error);
		else
			fprintf(stderr, PROG ": namespace %s: %s; will retry every %u s\n", ns_name(&v[i]),
			        v[i].first_error, update_every);
	}
}

static int setup(const struct nd_options *o, struct ns *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ctscope_error err = {0};
		v[i].spec = o->n_netns ? o->netns[i] : NULL;
		if (v[i].spec && ctscope_netns_label(v[i].spec, v[i].label, sizeof(v[i].label), &err) != 0) {
			fprintf(stderr, PROG ": --netns '%s': %s\n", v[i].spec, err.message);
			return -1;
		}
		for (size_t k = 0; k < i; k++) {
			if (strcmp(v[k].label, v[i].label) == 0) {
				fprintf(stderr,
				        PROG ": --netns '%s' and '%s' get the same chart names (ctscope_%s.*): "
				        "name each namespace once\n",
				        v[k].spec, v[i].spec, v[i].label);
				return -1;
			}
		}
		nd_state_init(&v[i].state, v[i].label, o->update_every);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct nd_options o;
	char why[512];
	switch (nd_options_parse(argc, argv, &o, why, sizeof(why))) {
	case ND_PARSE_HELP:
		nd_usage(stdout);
		return 0;
	case ND_PARSE_VERSION:
		printf(PROG " " CTSCOPE_VERSION "\n");
		return 0;
	case ND_PARSE_USAGE:
		fprintf(stderr, PROG ": %s (fix 'command options' in netdata.conf [plugin:ctscope]); disabling\n", why);
		return disable();
	case ND_PARSE_RUN:
		break;
	}

	size_t n = o.n_netns ? o.n_netns : 1;
	struct ns *v = calloc(n, sizeof(*v));
	if (!v) {
		fprintf(stderr, PROG ": out of memory at start\n");
		return 1;
	}
	if (setup(&o, v, n) != 0) {
		free(v);
		fputs(PROG ": fix 'command options' in netdata.conf [plugin:ctscope]; disabling\n", stderr);
		return disable();
	}
	install_signals();

	const struct ctscope_config cfg = {.mode = o.mode, .top_n = o.top_n, .dump_split = o.dump_split};
	const uint64_t step = (uint64_t)o.update_every * 1000000u;
	int status = 0;
	bool first_tick = true;
	while (!stop_requested) {
		bool any = false;
		for (size_t i = 0; i < n && !stop_requested; i++)
			any |= read_one(&v[i], &cfg, first_tick);
		if (stop_requested)
			break;
		bool give_up = first_tick && !any && hopeless(v, n);
		if (first_tick)
			report_first_tick(v, n, give_up, o.update_every);
		if (give_up) {
			if (permission_denied(v, n))
				fprintf(stderr,
				        PROG ": no namespace could be read (reasons above); disabling. Give the plugin "
				        "its capabilities (setcap cap_net_admin,cap_sys_admin+ep %s, see ctscope's "
				        "netdata README), then restart netdata\n",
				        argv[0]);
			else
				fprintf(stderr,
				        PROG ": no namespace could be read (reasons above); disabling. Fix that, then "
				        "restart netdata\n");
			status = disable();
			break;
		}
		first_tick = false;
		/* netdata closed the pipe (it stopped or restarts us): nobody
		 * is left to tell, so leave quietly. */
		if (fflush(stdout) != 0 || ferror(stdout))
			break;
		sleep_until_next_tick(step);
	}

	for (size_t i = 0; i < n; i++) {
		if (v[i].collector)
			ctscope_collector_free(v[i].collector);
		nd_state_free(&v[i].state);
	}
	free(v);
	return status;
}
