/* fuzz_events.c — libFuzzer target: a buffer of netlink messages read as
 * a script of events (CT_NEW upserts, CT_DELETE removes, anything else
 * moves the clock) applied to event mode's mirror and summary, checked
 * against a shadow list of live keys (events_harness.h). Seeds:
 * tests/fuzz/corpus-events/ (make-event-seeds.py) and corpus/. */
#include "events_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	events_run(data, size);
	return 0;
}
