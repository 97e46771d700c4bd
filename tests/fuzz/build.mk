# Fuzzing (libFuzzer, clang) and the soak. Not part of `all`: clang and
# libFuzzer are a developer's tools, and a campaign takes as long as asked.
#
#   make fuzz FUZZ_SECONDS=N   build the targets, replay the seeds and kept
#                              regressions, fuzz each target N seconds
#                              (fuzz_parse, fuzz_events, fuzz_options); fails
#                              on any finding (crash, overread, leak, UB,
#                              broken invariant). The input that failed lands
#                              in $(BUILD)/fuzz/findings/.
#   make fuzz-build            only build the targets
#   sudo make soak             tests/fuzz/soak.sh: churn under ctscope, RSS flat
#
# The core is compiled again here, with clang and the fuzzer's coverage
# instrumentation, into $(BUILD)/fuzz/: the normal build stays untouched.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 20
FUZZ_FLAGS ?=
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -std=c11 -D_GNU_SOURCE $(WARN) -Icommon -Icli $(MNL_CFLAGS) $(FUZZ_SAN)
FUZZ_CORE_OBJ := $(COMMON_SRC:%.c=$(FUZZ_DIR)/%.o)
FUZZ_TARGETS := $(FUZZ_DIR)/fuzz_parse $(FUZZ_DIR)/fuzz_events $(FUZZ_DIR)/fuzz_options
# What fuzz_options needs of the front-ends: their option parsers, and the
# CLI's JSON string escaper.
FUZZ_FRONT_SRC := cli/options.c cli/jsonw.c netdata-plugin/options.c collectd-plugin/options.c collectd-plugin/mapping.c \
	collectd-plugin/destkey.c
FUZZ_FRONT_OBJ := $(FUZZ_FRONT_SRC:%.c=$(FUZZ_DIR)/fe/%.o)

$(FUZZ_DIR)/common/%.o: common/%.c tests/fuzz/coverage-ignore.txt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/fe/%.o: %.c tests/fuzz/coverage-ignore.txt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt -MMD -MP -c -o $@ $<

# The harness itself gets no coverage instrumentation: its invariant
# checks walk whole tables, and their branches are no guide to new input.
$(FUZZ_DIR)/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/fuzz_%.o $(FUZZ_CORE_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -pthread -o $@ $^ $(MNL_LIBS) -lm
$(FUZZ_DIR)/fuzz_options: $(FUZZ_FRONT_OBJ)

.PHONY: fuzz fuzz-build soak
fuzz-build: $(FUZZ_TARGETS)

# Each target gets its own working corpus under $(BUILD)/fuzz (the seeds in
# git stay as recorded) and the kept regressions as extra seeds, so every
# past finding is replayed before new inputs are tried. The log keeps
# libFuzzer's status lines; the summary shows runs, coverage and any error.
# fuzz_run NAME DICT SEED_DIRS
define fuzz_run
	@mkdir -p $(FUZZ_DIR)/work-$(1) $(FUZZ_DIR)/findings
	@echo "$(1): $(FUZZ_SECONDS) s, log in $(FUZZ_DIR)/$(1).log"
	@{ ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(FUZZ_DIR)/$(1) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -dict=$(2) -artifact_prefix=$(FUZZ_DIR)/findings/$(1)- -print_final_stats=1 \
	    $(FUZZ_FLAGS) $(FUZZ_DIR)/work-$(1) $(3) tests/fuzz/regressions 2>&1; \
	  echo $$? >$(FUZZ_DIR)/$(1).rc; } | tee $(FUZZ_DIR)/$(1).log | \
	  grep -E 'INITED|DONE|ERROR|SUMMARY|invariant|number_of_executed|==[0-9]+=='; \
	  rc=$$(cat $(FUZZ_DIR)/$(1).rc); \
	  if [ "$$rc" -ne 0 ]; then echo "$(1): FINDING (exit $$rc), input in $(FUZZ_DIR)/findings/"; exit 1; fi
endef

fuzz: fuzz-build
	$(call fuzz_run,fuzz_parse,tests/fuzz/nlattr.dict,tests/fuzz/corpus)
	$(call fuzz_run,fuzz_events,tests/fuzz/nlattr.dict,tests/fuzz/corpus-events tests/fuzz/corpus)
	$(call fuzz_run,fuzz_options,tests/fuzz/options.dict,tests/fuzz/corpus-options)

# The soak (tests/soak/soak.sh): a few minutes of churn under ctscope in
# dump and event mode; RSS flat, counts exact. Root, like the integration
# tests; not in `make check` (it takes minutes).
SOAK_SECONDS ?= 120
soak: all tests
	@CTSCOPE_SRC=$(CURDIR) BUILD=$(abspath $(BUILD)) SOAK_SECONDS=$(SOAK_SECONDS) tests/soak/soak.sh
