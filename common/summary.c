/* summary.c — the counters entries add up to, and the top-N lists.
 *
 * Every add has an exact inverse (sign -1), which is what event mode
 * needs to keep the summary current without walking the table. Top
 * lists keep an exact count per distinct key (see keytable.c), so a
 * reported count is never an estimate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ZONES 65536
#define PORTS 65536
#define LONG_LIVED_SECONDS 86400

/* Key layouts. Ports and protocol share the key with the address so one
 * memcmp identifies a destination. */
struct dst4_key {
	uint8_t addr[4];
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
};
struct dst6_key {
	uint8_t addr[16];
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
};

int ctscope_summary_init(struct ctscope_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->count_timeouts = true;
	s->zones = calloc(ZONES, sizeof(*s->zones));
	if (!s->zones)
		return -1;
	ctscope_keytable_init(&s->dst4, sizeof(struct dst4_key));
	ctscope_keytable_init(&s->dst6, sizeof(struct dst6_key));
	ctscope_keytable_init(&s->src4, 4);
	ctscope_keytable_init(&s->src6, 16);
	ctscope_keytable_init(&s->long4, sizeof(struct dst4_key));
	ctscope_keytable_init(&s->long6, sizeof(struct dst6_key));
	return 0;
}

void ctscope_summary_free(struct ctscope_summary *s)
{
	free(s->zones);
	for (int p = 0; p < CTSCOPE_PROTO_COUNT; p++)
		free(s->ports[p]);
	ctscope_keytable_free(&s->dst4);
	ctscope_keytable_free(&s->dst6);
	ctscope_keytable_free(&s->src4);
	ctscope_keytable_free(&s->src6);
	ctscope_keytable_free(&s->long4);
	ctscope_keytable_free(&s->long6);
	memset(s, 0, sizeof(*s));
}

void ctscope_summary_reset(struct ctscope_summary *s)
{
	s->entries = 0;
	memset(s->families, 0, sizeof(s->families));
	memset(s->protocols, 0, sizeof(s->protocols));
	memset(s->tcp_states, 0, sizeof(s->tcp_states));
	memset(s->flags, 0, sizeof(s->flags));
	memset(s->timeouts, 0, sizeof(s->timeouts));
	s->udp_unreplied = 0;
	memset(s->zones, 0, ZONES * sizeof(*s->zones));
	for (int p = 0; p < CTSCOPE_PROTO_COUNT; p++)
		if (s->ports[p])
			memset(s->ports[p], 0, PORTS * sizeof(uint32_t));
	ctscope_keytable_reset(&s->dst4);
	ctscope_keytable_reset(&s->dst6);
	ctscope_keytable_reset(&s->src4);
	ctscope_keytable_reset(&s->src6);
	ctscope_keytable_reset(&s->long4);
	ctscope_keytable_reset(&s->long6);
}

static inline void bump(uint64_t *counter, int sign)
{
	*counter += (uint64_t)(int64_t)sign;
}

int ctscope_summary_apply(struct ctscope_summary *s, const struct ctscope_entry *e, int sign)
{
	enum ctscope_family fam = ctscope_entry_family(e);
	enum ctscope_proto proto = ctscope_entry_proto(e);
	enum ctscope_tcp_state st = ctscope_entry_tcp_state(e);
	bool unreplied = !(e->status & IPS_SEEN_REPLY);
	bool has_ports = ctscope_proto_has_ports(proto);

	bump(&s->entries, sign);
	bump(&s->families[fam], sign);
	bump(&s->protocols[proto], sign);
	if (st != CTSCOPE_TCP_STATE_COUNT)
		bump(&s->tcp_states[st], sign);
	if (e->status & IPS_ASSURED)
		bump(&s->flags[CTSCOPE_FLAG_ASSURED], sign);
	if (unreplied)
		bump(&s->flags[CTSCOPE_FLAG_UNREPLIED], sign);
	if (e->nat)
		bump(&s->flags[CTSCOPE_FLAG_NAT], sign);
	if (unreplied && proto == CTSCOPE_PROTO_UDP)
		bump(&s->udp_unreplied, sign);
	if (s->count_timeouts && e->has_timeout)
		bump(&s->timeouts[ctscope_timeout_band(e->timeout)], sign);
	s->zones[e->zone] += (uint32_t)sign;

	if (fam == CTSCOPE_FAMILY_OTHER)
		return 0; /* no address we can name */

	bool longlived = st == CTSCOPE_TCP_ESTABLISHED && e->has_timeout && e->timeout > LONG_LIVED_SECONDS;
	uint16_t port = has_ports ? e->dport : 0;
	int rc;
	if (fam == CTSCOPE_FAMILY_IPV4) {
		struct dst4_key k = { .port = port, .proto = (uint8_t)proto };
		memcpy(k.addr, e->dst, 4);
		rc = ctscope_keytable_add(&s->dst4, &k, sign);
		rc = rc < 0 ? rc : ctscope_keytable_add(&s->src4, e->src, sign);
		rc = rc < 0 || !longlived ? rc : ctscope_keytable_add(&s->long4, &k, sign);
	} else {
		struct dst6_key k = { .port = port, .proto = (uint8_t)proto };
		memcpy(k.addr, e->dst, 16);
		rc = ctscope_keytable_add(&s->dst6, &k, sign);
		rc = rc < 0 ? rc : ctscope_keytable_add(&s->src6, e->src, sign);
		rc = rc < 0 || !longlived ? rc : ctscope_keytable_add(&s->long6, &k, sign);
	}
	if (rc < 0)
		return -1;
	if (has_ports) {
		if (!s->ports[proto] && !(s->ports[proto] = calloc(PORTS, sizeof(uint32_t))))
			return -1;
		s->ports[proto][e->dport] += (uint32_t)sign;
	}
	return 0;
}

/* ---- top lists: merge the IPv4 and IPv6 tables ---- */

static void fill_destination(const struct ctscope_summary *s, struct ctscope_top_destination *d,
                             const struct ctscope_keycount *kc, int family)
{
	memset(d, 0, sizeof(*d));
	uint16_t port;
	uint8_t proto;
	if (family == AF_INET) {
		struct dst4_key k;
		memcpy(&k, kc->key, sizeof(k));
		memcpy(d->addr.bytes, k.addr, 4);
		port = k.port;
		proto = k.proto;
	} else {
		struct dst6_key k;
		memcpy(&k, kc->key, sizeof(k));
		memcpy(d->addr.bytes, k.addr, 16);
		port = k.port;
		proto = k.proto;
	}
	d->addr.family = (uint8_t)family;
	d->proto = (enum ctscope_proto)proto;
	d->has_port = ctscope_proto_has_ports(d->proto);
	d->port = port;
	d->entries = kc->count;
	d->established_long = ctscope_keytable_get(family == AF_INET ? &s->long4 : &s->long6, kc->key);
}

/* Top n over two tables: the best n of each, merged. Equal counts keep
 * IPv4 before IPv6 and key order within a family, so output is stable. */
static size_t top_two(const struct ctscope_keytable *a, const struct ctscope_keytable *b, size_t n,
                      struct ctscope_keycount *ta, struct ctscope_keycount *tb, const struct ctscope_keycount **out,
                      int *out_family)
{
	size_t na = ctscope_keytable_top(a, ta, n), nb = ctscope_keytable_top(b, tb, n);
	size_t i = 0, j = 0, k = 0;
	while (k < n && (i < na || j < nb)) {
		if (j >= nb || (i < na && ta[i].count >= tb[j].count)) {
			out[k] = &ta[i++];
			out_family[k++] = AF_INET;
		} else {
			out[k] = &tb[j++];
			out_family[k++] = AF_INET6;
		}
	}
	return k;
}

struct port_rank {
	uint64_t entries;
	uint16_t port;
	uint8_t proto;
};

static bool port_ranks_above(const struct port_rank *a, const struct port_rank *b)
{
	if (a->entries != b->entries)
		return a->entries > b->entries;
	if (a->proto != b->proto)
		return a->proto < b->proto;
	return a->port < b->port;
}

static size_t top_ports(const struct ctscope_summary *s, struct ctscope_top_port *out, size_t n)
{
	size_t have = 0;
	for (int p = 0; p < CTSCOPE_PROTO_COUNT; p++) {
		if (!s->ports[p])
			continue;
		for (uint32_t port = 0; port < PORTS; port++) {
			uint32_t c = s->ports[p][port];
			if (c == 0)
				continue;
			struct port_rank r = { c, (uint16_t)port, (uint8_t)p };
			struct port_rank last = have ? (struct port_rank){ out[have - 1].entries, out[have - 1].port,
			                                                 (uint8_t)out[have - 1].proto }
			                             : r;
			if (have == n && !port_ranks_above(&r, &last))
				continue;
			/* insertion into the sorted list; n is small */
			size_t j = have < n ? have++ : n - 1;
			while (j > 0) {
				struct port_rank prev = { out[j - 1].entries, out[j - 1].port, (uint8_t)out[j - 1].proto };
				if (!port_ranks_above(&r, &prev))
					break;
				out[j] = out[j - 1];
				j--;
			}
			out[j] = (struct ctscope_top_port){ (enum ctscope_proto)p, (uint16_t)port, c };
		}
	}
	return have;
}

int ctscope_summary_to_snapshot(const struct ctscope_summary *s, unsigned top_n, struct ctscope_snapshot *snap)
{
	size_t n = top_n;
	struct ctscope_keycount *ta = calloc(n, sizeof(*ta)), *tb = calloc(n, sizeof(*tb));
	const struct ctscope_keycount **merged = calloc(n, sizeof(*merged));
	int *fams = calloc(n, sizeof(*fams));
	int rc = -1;

	snap->has_breakdown = true;
	memcpy(snap->families, s->families, sizeof(s->families));
	memcpy(snap->protocols, s->protocols, sizeof(s->protocols));
	memcpy(snap->tcp_states, s->tcp_states, sizeof(s->tcp_states));
	memcpy(snap->flags, s->flags, sizeof(s->flags));
	memcpy(snap->timeouts, s->timeouts, sizeof(s->timeouts));
	snap->udp_unreplied = s->udp_unreplied;

	if (!ta || !tb || !merged || !fams)
		goto out;

	size_t nz = 0;
	for (size_t z = 1; z < ZONES; z++)
		nz += s->zones[z] != 0;
	if (nz && !(snap->zones = calloc(nz, sizeof(*snap->zones))))
		goto out;
	for (size_t z = 1; z < ZONES; z++)
		if (s->zones[z])
			snap->zones[snap->n_zones++] = (struct ctscope_zone_count){ (uint16_t)z, s->zones[z] };

	size_t k = top_two(&s->dst4, &s->dst6, n, ta, tb, merged, fams);
	if (k && !(snap->top_destinations = calloc(k, sizeof(*snap->top_destinations))))
		goto out;
	for (size_t i = 0; i < k; i++)
		fill_destination(s, &snap->top_destinations[i], merged[i], fams[i]);
	snap->n_top_destinations = k;

	k = top_two(&s->src4, &s->src6, n, ta, tb, merged, fams);
	if (k && !(snap->top_sources = calloc(k, sizeof(*snap->top_sources))))
		goto out;
	for (size_t i = 0; i < k; i++) {
		struct ctscope_top_source *src = &snap->top_sources[i];
		src->addr.family = (uint8_t)fams[i];
		memcpy(src->addr.bytes, merged[i]->key, fams[i] == AF_INET ? 4 : 16);
		src->entries = merged[i]->count;
	}
	snap->n_top_sources = k;

	if (!(snap->top_ports = calloc(n, sizeof(*snap->top_ports))))
		goto out;
	snap->n_top_ports = top_ports(s, snap->top_ports, n);
	rc = 0;
out:
	free(ta);
	free(tb);
	free(merged);
	free(fams);
	return rc;
}
