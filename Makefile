# ctscope — top-level build. Each folder adds its own targets in build.mk.
#
#   make                 build everything
#   sudo make deps       install the Debian packages the build and tests need
#   sudo make run        deps + build + the report for this host
#   sudo make check      deps + build + every test, ends with "N passed, N failed"
#   sudo make demo       the seed's night replayed in a throwaway namespace
#   make SANITIZE=address,undefined check
#   sudo make bench      benchmarks at a million entries (tests/bench/build.mk)
#   make fuzz FUZZ_SECONDS=N   libFuzzer over the parser (tests/fuzz/build.mk)
#   sudo make install / uninstall

CC ?= cc
PKG_CONFIG ?= pkg-config

ifeq ($(SANITIZE),)
BUILD ?= build
SAN_FLAGS :=
else
BUILD ?= build-san
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -fPIC $(WARN) $(SAN_FLAGS) -Icommon
LDFLAGS += $(SAN_FLAGS) -pthread

MNL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmnl 2>/dev/null)
MNL_LIBS := $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
CFLAGS += $(MNL_CFLAGS)

PREFIX ?= /usr/local
DESTDIR ?=

# Debian packages: build, tests (kernel, collectd, netdata, carbon), fuzzing, bench.
DEB_PACKAGES := build-essential pkg-config libmnl-dev libcmocka-dev \
	conntrack nftables iproute2 util-linux libcap2-bin procps python3 \
	collectd-core collectd-dev rrdtool graphite-carbon \
	netdata-core curl \
	clang libfuzzer-14-dev libclang-rt-14-dev valgrind time

ALL :=
UNIT_TESTS :=
.DEFAULT_GOAL := all
# keep objects of pattern chains (test binaries) so a second make relinks nothing
.SECONDARY:

include common/build.mk
include cli/build.mk
-include collectd-plugin/build.mk
-include netdata-plugin/build.mk
include tests/build.mk
-include tests/fuzz/build.mk
-include tests/bench/build.mk

.PHONY: all deps run check demo clean install uninstall
all: $(ALL)

deps:
	@./tests/tools/install-deps.sh $(DEB_PACKAGES)

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/ctscope

check: deps
	@$(MAKE) --no-print-directory all tests
	@BUILD=$(BUILD) ./tests/run-tests.sh

demo: deps
	@$(MAKE) --no-print-directory all tests
	@BUILD=$(BUILD) ./tests/tools/demo.sh

clean:
	rm -rf build build-san

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
