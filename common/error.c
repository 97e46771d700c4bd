/* error.c — building the messages users read: what failed, why, what to do. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

const char *ctscope_error_advice(int code)
{
	switch (code) {
	case EPERM:
	case EACCES:
		return "needs CAP_NET_ADMIN; run as root or setcap cap_net_admin+ep on the binary";
	case EPROTONOSUPPORT:
	case ENOENT:
		return "is nf_conntrack_netlink loaded? try 'modprobe nf_conntrack_netlink'";
	case ENOBUFS:
	case ENOMEM:
		return "the system is short of memory";
	default:
		return NULL;
	}
}

void ctscope_error_set(struct ctscope_error *err, int code, const char *advice, const char *fmt, ...)
{
	if (!err)
		return;
	char what[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err->code = code;
	if (code && advice)
		snprintf(err->message, sizeof(err->message), "%s: %s (%s)", what, strerror(code), advice);
	else if (code)
		snprintf(err->message, sizeof(err->message), "%s: %s", what, strerror(code));
	else if (advice)
		snprintf(err->message, sizeof(err->message), "%s (%s)", what, advice);
	else
		snprintf(err->message, sizeof(err->message), "%s", what);
}

uint64_t ctscope_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

double ctscope_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
