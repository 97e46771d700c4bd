# Test programs. Unit tests: tests/unit/test_*.c, each a cmocka binary linked
# with the core and the CLI formatters. Tools: tests/tools/*.c (injector, ...).
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
TEST_EXTRA_OBJ ?=

.PHONY: tests
tests: $(UNIT_BIN) $(TOOL_BIN)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(CLI_LIB) $(LIBCTSCOPE) $(TEST_EXTRA_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(MNL_LIBS) -lcmocka -lm

# the tools speak netlink themselves: they need libmnl, not the core, so a
# core that does not build never takes the test tools down with it
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o
	$(CC) $(LDFLAGS) -o $@ $^ $(MNL_LIBS) -lm
