/* format.c — text helpers every front-end shares, so an address or a count
 * reads the same in the report, the charts and the graphs. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctscope.h"

void ctscope_addr_format(const struct ctscope_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return;
	if ((a->family != AF_INET && a->family != AF_INET6) || !inet_ntop(a->family, a->bytes, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void ctscope_format_count(uint64_t n, char *buf, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n);
	size_t out = 0;
	for (int i = 0; i < nd && out + 1 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0 && out + 2 < len)
			buf[out++] = ',';
		buf[out++] = digits[i];
	}
	if (len)
		buf[out < len ? out : len - 1] = '\0';
}

void ctscope_destination_format(const struct ctscope_top_destination *d, char *buf, size_t len)
{
	char addr[CTSCOPE_ADDR_STRLEN];
	ctscope_addr_format(&d->addr, addr, sizeof(addr));
	const char *proto = ctscope_proto_name(d->proto);
	if (!d->has_port)
		snprintf(buf, len, "%s %s", proto, addr);
	else if (d->addr.family == AF_INET6)
		snprintf(buf, len, "%s [%s]:%u", proto, addr, d->port);
	else
		snprintf(buf, len, "%s %s:%u", proto, addr, d->port);
}
