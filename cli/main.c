/* main.c — the ctscope command: options, one collector per namespace, the
 * loop over intervals, exit status. Formatting lives in report.c and json.c;
 * reading the kernel lives in the core. Exit: 0 every namespace read, 1 a
 * runtime failure (the other namespaces are still reported), 2 usage. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Set by SIGINT/SIGTERM; the loop finishes the namespace it is reading,
 * then frees everything and exits. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct namespace_run {
	const char *spec; /* NULL: the process's own namespace */
	struct ctscope_collector *collector;
	bool failed; /* at least once: named in the summary at the end */
	bool tried;  /* opened or read at least once: later rounds reopen */
	char last_error[sizeof(((struct ctscope_error *)0)->message)]; /* said once */
	unsigned long reports; /* successful reads */
	/* The previous human report's snapshot, for changes and rates. */
	struct ctscope_snapshot prev;
	bool has_prev;
};

/* To stderr once per distinct error (a namespace that stays gone is not
 * repeated every interval); on a redrawn screen every time, where it would
 * otherwise be wiped by the next redraw. */
static void report_error(FILE *screen, struct namespace_run *ns, const struct ctscope_error *err)
{
	bool repeated = strcmp(ns->last_error, err->message) == 0;
	FILE *to[2] = {repeated ? NULL : stderr, screen};
	for (size_t i = 0; i < 2; i++) {
		if (!to[i])
			continue;
		if (ns->spec)
			fprintf(to[i], "ctscope: netns %s: %s\n", ns->spec, err->message);
		else
			fprintf(to[i], "ctscope: %s\n", err->message);
	}
	snprintf(ns->last_error, sizeof(ns->last_error), "%s", err->message);
	ns->failed = true;
}

/* A namespace that failed is opened anew each round: a deleted one that is
 * made again, or one that did not exist yet, is read once it is there. */
static void reopen(struct namespace_run *ns, const struct cli_options *o)
{
	struct ctscope_config cfg = {.mode = o->mode, .top_n = o->top_n, .dump_split = o->dump_split};
	struct ctscope_error err;
	memset(&err, 0, sizeof(err));
	ns->collector = ctscope_collector_new(&cfg, ns->spec, &err);
	if (!ns->collector)
		report_error(NULL, ns, &err);
}

/* No SA_RESTART: a signal must cut a sleep or a blocking read
 * short, and every caller checks stop_requested afterwards. */
static int install_signals(sigset_t *stop_set)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -1;
	sigemptyset(stop_set);
	sigaddset(stop_set, SIGINT);
	sigaddset(stop_set, SIGTERM);
	return 0;
}

static struct timespec ts_add(struct timespec t, unsigned seconds)
{
	t.tv_sec += (time_t)seconds;
	return t;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* Sleeps until `deadline` (CLOCK_MONOTONIC). The stop signals are blocked
 * on entry and only let through inside ppoll, so a signal that arrives
 * between the check and the sleep still ends the sleep at once.
 * Returns false when a stop was requested. */
static bool sleep_until(const struct timespec *deadline, const sigset_t *stop_set)
{
	sigset_t during_sleep;
	sigprocmask(SIG_BLOCK, stop_set, &during_sleep);
	sigdelset(&during_sleep, SIGINT);
	sigdelset(&during_sleep, SIGTERM);
	bool go_on = true;
	for (;;) {
		if (stop_requested) {
			go_on = false;
			break;
		}
		struct timespec now, left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_cmp(&now, deadline) >= 0)
			break;
		left.tv_sec = deadline->tv_sec - now.tv_sec;
		left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		ppoll(NULL, 0, &left, &during_sleep); /* EINTR: loop and check */
	}
	sigprocmask(SIG_UNBLOCK, stop_set, NULL);
	return go_on;
}

/* stdout could not take the output: a closed pipe is the reader's choice
 * and ends quietly, anything else (disk full) is said once. */
static bool stdout_failed(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return false;
	if (errno != EPIPE)
		fprintf(stderr, "ctscope: cannot write the report to standard output: %s\n", strerror(errno));
	return true;
}

/* One read of every namespace, written to `out`: stdout, or the screen
 * buffer of a redraw. Returns false when stdout failed. */
static bool read_all(struct namespace_run *runs, size_t n_runs, const struct cli_options *o, FILE *out, bool redraw)
{
	bool first = true;
	for (size_t i = 0; i < n_runs && !stop_requested; i++) {
		struct namespace_run *ns = &runs[i];
		if (!ns->collector && ns->tried)
			reopen(ns, o);
		ns->tried = true;
		if (!ns->collector) {
			/* The redrawn screen must not look as if it were all there. */
			if (redraw)
				fprintf(out, "ctscope: netns %s: not read: %s\n", ns->spec ? ns->spec : "(own)", ns->last_error);
			first = false;
			continue;
		}
		struct ctscope_snapshot snap;
		struct ctscope_error err;
		memset(&snap, 0, sizeof(snap));
		memset(&err, 0, sizeof(err));
		if (ctscope_collector_read(ns->collector, &snap, &err) != 0) {
			/* A read cut short by Ctrl-C is the user's stop, not a failure. */
			if (stop_requested)
				break;
			report_error(redraw ? out : NULL, ns, &err);
			/* opened again next round: a namespace that went away and came
			 * back is a new namespace, and needs a new socket */
			ctscope_collector_free(ns->collector);
			ns->collector = NULL;
			continue;
		}
		if (ns->last_error[0]) {
			fprintf(stderr, "ctscope: netns %s: read again\n", ns->spec ? ns->spec : "(own)");
			ns->last_error[0] = '\0';
		}
		ns->reports++;
		int rc;
		if (o->json) {
			rc = cli_json_snapshot(out, &snap);
			ctscope_snapshot_clear(&snap);
		} else {
			if (!first)
				fputc('\n', out);
			rc = cli_report_snapshot(out, &snap, ns->has_prev ? &ns->prev : NULL);
			ctscope_snapshot_clear(&ns->prev);
			ns->prev = snap; /* the snapshot's arrays move with it */
			ns->has_prev = true;
		}
		first = false;
		if (rc != 0 && !ferror(out)) {
			fprintf(stderr, "ctscope: internal error formatting the report; please report this bug\n");
			ns->failed = true;
		}
		/* JSON lines go out one by one, as they are read. */
		if (out == stdout && stdout_failed())
			return false;
	}
	return true;
}

static unsigned terminal_rows(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0)
		return 0;
	return ws.ws_row;
}

/* One round: straight to stdout, or (on a terminal with --interval) into a
 * buffer drawn as one screen. Returns false when stdout failed. */
static bool run_round(struct namespace_run *runs, size_t n_runs, const struct cli_options *o, bool redraw)
{
	if (!redraw)
		return read_all(runs, n_runs, o, stdout, false) && !stdout_failed();
	char *screen = NULL;
	size_t len = 0;
	FILE *buf = open_memstream(&screen, &len);
	if (!buf) {
		/* Out of memory for one screen: draw unclipped rather than not at all. */
		fputs("\033[H\033[2J", stdout);
		return read_all(runs, n_runs, o, stdout, false) && !stdout_failed();
	}
	read_all(runs, n_runs, o, buf, true);
	bool ok = fclose(buf) == 0;
	if (ok)
		cli_live_draw(stdout, screen, len, terminal_rows());
	free(screen);
	return !stdout_failed();
}

static bool any_report(const struct namespace_run *runs, size_t n_runs)
{
	for (size_t i = 0; i < n_runs; i++)
		if (runs[i].reports)
			return true;
	return false;
}

static int open_collectors(struct namespace_run *runs, size_t n_runs, const struct cli_options *o)
{
	struct ctscope_config cfg = {.mode = o->mode, .top_n = o->top_n, .dump_split = o->dump_split};
	size_t opened = 0;
	for (size_t i = 0; i < n_runs; i++) {
		struct ctscope_error err;
		memset(&err, 0, sizeof(err));
		runs[i].collector = ctscope_collector_new(&cfg, runs[i].spec, &err);
		if (!runs[i].collector) {
			report_error(NULL, &runs[i], &err);
		} else {
			opened++;
		}
	}
	return opened > 0 ? 0 : -1;
}

/* Several namespaces: say at the end which ones could not be read, since
 * their messages may have scrolled away between the reports. */
static void summarize_failures(const struct namespace_run *runs, size_t n_runs)
{
	size_t failed = 0;
	for (size_t i = 0; i < n_runs; i++)
		failed += runs[i].failed;
	if (failed == 0 || n_runs < 2)
		return;
	fprintf(stderr, "ctscope: %zu of %zu namespaces could not be read:", failed, n_runs);
	for (size_t i = 0; i < n_runs; i++)
		if (runs[i].failed)
			fprintf(stderr, " %s", runs[i].spec ? runs[i].spec : "(own)");
	fputc('\n', stderr);
}

static int run(const struct cli_options *o)
{
	sigset_t stop_set;
	if (install_signals(&stop_set) != 0) {
		fprintf(stderr, "ctscope: cannot install signal handlers: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	size_t n_runs = o->n_netns ? o->n_netns : 1;
	struct namespace_run *runs = calloc(n_runs, sizeof(*runs));
	if (!runs) {
		fprintf(stderr, "ctscope: cannot start: out of memory\n");
		return EXIT_RUNTIME;
	}
	for (size_t i = 0; i < o->n_netns; i++)
		runs[i].spec = o->netns[i];

	bool output_ok = true;
	unsigned done = 0;
	if (open_collectors(runs, n_runs, o) == 0) {
		bool redraw = o->interval_s && !o->json && isatty(STDOUT_FILENO);
		struct timespec deadline;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		for (;;) {
			if (!o->json && !redraw && done > 0)
				fputc('\n', stdout);
			output_ok = run_round(runs, n_runs, o, redraw);
			if (!output_ok || stop_requested)
				break;
			/* Nothing could be read the first time (no privilege, say):
			 * repeating would only repeat the errors. */
			if (done == 0 && !any_report(runs, n_runs))
				break;
			done++;
			if (o->interval_s == 0 || (o->count && done >= o->count))
				break;
			deadline = ts_add(deadline, o->interval_s);
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (ts_cmp(&deadline, &now) < 0)
				deadline = now; /* a read took longer than the interval: no catch-up burst */
			if (!sleep_until(&deadline, &stop_set))
				break;
		}
	}

	bool any_failed = false;
	for (size_t i = 0; i < n_runs; i++) {
		any_failed |= runs[i].failed;
		ctscope_collector_free(runs[i].collector);
		ctscope_snapshot_clear(&runs[i].prev);
	}
	summarize_failures(runs, n_runs);
	free(runs);
	/* Stopped before one full report: the user got nothing to rely on. */
	if (stop_requested && done == 0 && output_ok) {
		fprintf(stderr, "ctscope: interrupted before the first report was complete\n");
		return EXIT_RUNTIME;
	}
	return (any_failed || !output_ok) ? EXIT_RUNTIME : EXIT_OK;
}

/* A spec like "pid:abc" is a typo, not a runtime failure: caught before
 * anything is opened, answered like any other bad option. */
static int check_netns_specs(const struct cli_options *o)
{
	for (size_t i = 0; i < o->n_netns; i++) {
		char label[64];
		struct ctscope_error err;
		memset(&err, 0, sizeof(err));
		if (ctscope_netns_label(o->netns[i], label, sizeof(label), &err) != 0) {
			fprintf(stderr, "ctscope: invalid --netns '%s': %s\n", o->netns[i], err.message);
			return -1;
		}
	}
	return 0;
}

/* A closed stdin/stdout/stderr would hand its number to the next socket
 * we open, and the report would be written into netlink. Fill the gaps with
 * /dev/null; a closed stdout is reported (there is nowhere to report to). */
static bool standard_fds_ok(void)
{
	bool stdout_open = fcntl(STDOUT_FILENO, F_GETFD) >= 0;
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int nfd = open("/dev/null", O_RDWR);
		if (nfd < 0)
			return false;
		if (nfd != fd) { /* lowest free number: only if a lower one was open */
			close(nfd);
			return false;
		}
	}
	if (!stdout_open)
		fprintf(stderr, "ctscope: standard output is closed; nothing to write the report to\n");
	return stdout_open;
}

int main(int argc, char *argv[])
{
	struct cli_options o;
	char why[512];
	int rc;
	/* A closed pipe (ctscope | head) shows up as EPIPE on write, which is
	 * turned into a quiet exit 1 instead of a death by signal. */
	signal(SIGPIPE, SIG_IGN);
	if (!standard_fds_ok())
		return EXIT_RUNTIME;
	switch (cli_options_parse(argc, argv, &o, why, sizeof(why))) {
	case CLI_PARSE_HELP:
		cli_usage_full(stdout);
		rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
		break;
	case CLI_PARSE_VERSION:
		printf("ctscope %s\n", CTSCOPE_VERSION);
		rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
		break;
	case CLI_PARSE_USAGE:
		fprintf(stderr, "ctscope: %s\n", why);
		cli_usage_short(stderr);
		rc = EXIT_USAGE;
		break;
	case CLI_PARSE_FAILURE:
		fprintf(stderr, "ctscope: %s\n", why);
		rc = EXIT_RUNTIME;
		break;
	case CLI_PARSE_RUN:
	default:
		if (check_netns_specs(&o) != 0) {
			cli_usage_short(stderr);
			rc = EXIT_USAGE;
		} else {
			rc = run(&o);
		}
		break;
	}
	cli_options_free(&o);
	return rc;
}
