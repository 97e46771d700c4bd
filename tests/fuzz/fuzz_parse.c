/* fuzz_parse.c — libFuzzer target: the input is one netlink receive
 * buffer (nlmsghdr + nfgenmsg + attributes, as recv() hands it to the
 * dump), run through the dump's own parser, the summary and the snapshot.
 * Crashes, overreads, leaks, undefined behaviour and broken invariants
 * (parse_harness.h) are findings. Seeds: tests/fuzz/corpus/ (recorded from
 * the kernel); dictionary: tests/fuzz/nlattr.dict. Run: make fuzz. */
#include "parse_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	harness_run(data, size);
	return 0;
}
