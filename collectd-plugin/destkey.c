/* destkey.c — the spelling of a top destination as a collectd type
 * instance ("tcp-192_0_2_1-443"), and its inverse. Type instances become
 * RRD file names and Graphite path components, where '/', '.', ':' and
 * spaces are separators or get escaped lossily; this spelling uses only
 * [a-z0-9_-], so nothing downstream rewrites it and a user can still read
 * the address back out of a metric name (mapping.h has the rule). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping.h"

/* IPv6 in eight hex groups, longest run (>= 2) of zero groups as "::" (the
 * first of equal runs), RFC 5952. Not inet_ntop: it writes "::ffff:1.2.3.4"
 * for mapped addresses, whose dots would make the key ambiguous. */
static void format_ipv6(const uint8_t b[16], char *buf, size_t len)
{
	unsigned g[8];
	int best = -1, best_len = 0;
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	size_t out = 0;
	buf[0] = '\0';
	for (int i = 0; i < 8 && out < len; i++) {
		if (i == best) {
			out += (size_t)snprintf(buf + out, len - out, i == 0 ? "::" : ":");
			i += best_len - 1;
			continue;
		}
		out += (size_t)snprintf(buf + out, len - out, "%x%s", g[i], i < 7 ? ":" : "");
	}
}

static void replace(char *s, char from, char to)
{
	for (; *s; s++)
		if (*s == from)
			*s = to;
}

int ctscope_cd_destination_key(const struct ctscope_top_destination *d, char *buf, size_t len)
{
	char addr[CTSCOPE_ADDR_STRLEN];
	if (d->addr.family == AF_INET) {
		inet_ntop(AF_INET, d->addr.bytes, addr, sizeof(addr));
		replace(addr, '.', '_');
	} else if (d->addr.family == AF_INET6) {
		format_ipv6(d->addr.bytes, addr, sizeof(addr));
		replace(addr, ':', '_');
	} else {
		if (len)
			buf[0] = '\0';
		return -1;
	}
	if (d->has_port)
		snprintf(buf, len, "%s-%s-%u", ctscope_proto_name(d->proto), addr, (unsigned)d->port);
	else
		snprintf(buf, len, "%s-%s", ctscope_proto_name(d->proto), addr);
	return 0;
}

static int parse_proto(const char *word, enum ctscope_proto *out)
{
	for (unsigned i = 0; i < CTSCOPE_PROTO_COUNT; i++) {
		if (strcmp(word, ctscope_proto_name((enum ctscope_proto)i)) == 0) {
			*out = (enum ctscope_proto)i;
			return 0;
		}
	}
	return -1;
}

/* Four non-empty groups: IPv4 ("192_0_2_1"). Textual IPv6 has eight groups
 * or an empty one ("::"), so it never looks like that. */
static int looks_ipv4(const char *a)
{
	int groups = 1;
	for (const char *p = a; *p; p++)
		if (*p == '_')
			groups++;
	return groups == 4 && strstr(a, "__") == NULL && a[0] != '_' && a[strlen(a) - 1] != '_';
}

int ctscope_cd_destination_parse(const char *key, struct ctscope_top_destination *d)
{
	char copy[CTSCOPE_CD_KEY_LEN];
	if (strlen(key) >= sizeof(copy))
		return -1;
	strcpy(copy, key);
	char *proto = copy, *addr = strchr(copy, '-');
	if (!addr)
		return -1;
	*addr++ = '\0';
	char *port = strchr(addr, '-');
	if (port)
		*port++ = '\0';

	memset(d, 0, sizeof(*d));
	if (parse_proto(proto, &d->proto) != 0 || addr[0] == '\0')
		return -1;
	if (looks_ipv4(addr)) {
		replace(addr, '_', '.');
		d->addr.family = AF_INET;
	} else {
		replace(addr, '_', ':');
		d->addr.family = AF_INET6;
	}
	if (inet_pton(d->addr.family, addr, d->addr.bytes) != 1)
		return -1;
	if (port) {
		char *end;
		unsigned long p = strtoul(port, &end, 10);
		if (port[0] < '0' || port[0] > '9' || *end != '\0' || p > 65535)
			return -1;
		d->has_port = true;
		d->port = (uint16_t)p;
	}
	/* Only the canonical spelling is ours ("tcp-192_0_2_01-443" or an
	 * uncompressed IPv6 would parse, but name a different series). */
	char again[CTSCOPE_CD_KEY_LEN];
	if (ctscope_cd_destination_key(d, again, sizeof(again)) != 0 || strcmp(again, key) != 0)
		return -1;
	return 0;
}
