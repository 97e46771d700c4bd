/* collector.c — one namespace, read once per interval: source -> entry ->
 * summary -> snapshot. The front-ends hold one collector per namespace
 * and only ever see the snapshot it fills. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct ctscope_collector {
	struct ctscope_config cfg;
	char *spec;
	char label[64];
	struct ctscope_source *src;
	struct ctscope_summary summary;
	bool summary_whole; /* summary holds a complete dump: the split's guide */
	struct ctscope_eventmode *events; /* events mode only */
	/* the previous read's kernel counters, for "rising" hints */
	struct ctscope_snapshot prev;
	bool has_prev;
};

struct ctscope_collector *ctscope_collector_new(const struct ctscope_config *cfg, const char *netns,
                                                struct ctscope_error *err)
{
	if ((unsigned)cfg->dump_split >= CTSCOPE_DUMP_SPLIT_COUNT) {
		ctscope_error_set(err, EINVAL, NULL, "unknown dump split %d", (int)cfg->dump_split);
		return NULL;
	}
	if (cfg->top_n < 1 || cfg->top_n > CTSCOPE_TOP_MAX) {
		ctscope_error_set(err, EINVAL, NULL, "top list length %u is out of range 1..%d", cfg->top_n, CTSCOPE_TOP_MAX);
		return NULL;
	}
	struct ctscope_collector *c = calloc(1, sizeof(*c));
	if (!c || (netns && !(c->spec = strdup(netns))) || ctscope_summary_init(&c->summary) < 0) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot set up a collector");
		goto fail;
	}
	c->cfg = *cfg;
	if (ctscope_netns_label(netns, c->label, sizeof(c->label), err) < 0)
		goto fail;
	int ns_fd = ctscope_netns_open(netns, err);
	if (ns_fd < 0)
		goto fail;
	c->src = ctscope_source_open(ns_fd, netns, err);
	if (c->src && cfg->mode == CTSCOPE_MODE_EVENTS)
		c->events = ctscope_eventmode_new(ns_fd, netns, &c->summary, cfg->dump_split, err);
	close(ns_fd);
	if (!c->src || (cfg->mode == CTSCOPE_MODE_EVENTS && !c->events))
		goto fail;
	return c;
fail:
	ctscope_collector_free(c);
	return NULL;
}

void ctscope_collector_free(struct ctscope_collector *c)
{
	if (!c)
		return;
	ctscope_eventmode_free(c->events);
	ctscope_source_close(c->src);
	ctscope_summary_free(&c->summary);
	free(c->spec);
	free(c);
}

static int add_entry(const struct ctscope_entry *e, void *data)
{
	return ctscope_summary_apply(data, e, +1);
}

int ctscope_collector_read(struct ctscope_collector *c, struct ctscope_snapshot *snap, struct ctscope_error *err)
{
	double start = ctscope_monotonic_ms();
	ctscope_snapshot_clear(snap);
	snap->mode = c->cfg.mode;
	snap->time_ms = ctscope_now_ms();
	memcpy(snap->netns_label, c->label, sizeof(snap->netns_label));
	if (c->spec && !(snap->netns = strdup(c->spec))) {
		ctscope_error_set(err, ENOMEM, NULL, "cannot fill a snapshot");
		return -1;
	}
	if (c->cfg.mode == CTSCOPE_MODE_EVENTS) {
		/* reads the stats itself: its check against the kernel's count
		 * needs them between two drains */
		if (ctscope_eventmode_read(c->events, c->src, c->cfg.top_n, snap, err) < 0)
			goto fail;
	} else if (ctscope_source_read_stats(c->src, snap, err) < 0)
		goto fail;

	if (c->cfg.mode == CTSCOPE_MODE_DUMP) {
		enum ctscope_split_by by =
		    ctscope_split_for(c->cfg.dump_split, c->summary_whole ? &c->summary : NULL, snap->table.entries);
		enum ctscope_split_by used;
		ctscope_summary_reset(&c->summary);
		c->summary_whole = false;
		if (ctscope_source_dump(c->src, by, add_entry, &c->summary, &snap->collector.entries_scanned, &used, err) < 0)
			goto fail;
		c->summary_whole = true;
		snap->collector.dump_split = ctscope_split_name(used);
		if (ctscope_summary_to_snapshot(&c->summary, c->cfg.top_n, snap) < 0) {
			ctscope_error_set(err, ENOMEM, NULL, "cannot build the top lists");
			goto fail;
		}
	}

	double interval_s = c->has_prev ? (double)(snap->time_ms - c->prev.time_ms) / 1000.0 : 0.0;
	ctscope_hints_compute(snap, c->has_prev ? &c->prev : NULL, interval_s);
	/* only the plain counters are kept: prev owns no pointers */
	memset(&c->prev, 0, sizeof(c->prev));
	memcpy(c->prev.stats, snap->stats, sizeof(snap->stats));
	memcpy(c->prev.has_stat, snap->has_stat, sizeof(snap->has_stat));
	c->prev.time_ms = snap->time_ms;
	c->has_prev = true;
	snap->collector.duration_ms = ctscope_monotonic_ms() - start;
	return 0;
fail:
	ctscope_snapshot_clear(snap);
	return -1;
}

void ctscope_snapshot_clear(struct ctscope_snapshot *snap)
{
	free(snap->netns);
	free(snap->zones);
	free(snap->top_destinations);
	free(snap->top_sources);
	free(snap->top_ports);
	memset(snap, 0, sizeof(*snap));
}
