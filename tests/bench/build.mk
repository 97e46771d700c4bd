# Benchmarks: `sudo make bench` (see tests/bench/bench.sh).
BENCH_FLOOR := $(BUILD)/tests/bench/floor

$(BENCH_FLOOR): $(BUILD)/tests/bench/floor.o
	$(CC) $(LDFLAGS) -o $@ $^ $(MNL_LIBS)

.PHONY: bench
bench: deps
	@$(MAKE) --no-print-directory all tests $(BENCH_FLOOR)
	@BUILD=$(BUILD) ./tests/bench/bench.sh
