# ctscope: the command-line report. Everything but main.c goes into a small
# library so the unit tests link the formatters directly.
CLI_SRC := $(filter-out cli/main.c,$(wildcard cli/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
CLI_LIB := $(BUILD)/libctscope-cli.a
CTSCOPE_BIN := $(BUILD)/ctscope
ALL += $(CTSCOPE_BIN)

$(CLI_LIB): $(CLI_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(CTSCOPE_BIN): $(BUILD)/cli/main.o $(CLI_LIB) $(LIBCTSCOPE)
	$(CC) $(LDFLAGS) -o $@ $^ $(MNL_LIBS) -lm

install-cli: $(CTSCOPE_BIN)
	install -D -m 0755 $(CTSCOPE_BIN) $(DESTDIR)$(PREFIX)/bin/ctscope

uninstall-cli:
	rm -f $(DESTDIR)$(PREFIX)/bin/ctscope

install: install-cli
uninstall: uninstall-cli
.PHONY: install-cli uninstall-cli
