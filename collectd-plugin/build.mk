# collectd-plugin: ctscope.so, a collectd 5.12 read plugin with libctscope
# linked in statically (collectd loads plugins by path, and a second .so to
# install and keep in step would only add a way to break).
#
# Only ctscope.c sees collectd's headers; options.c needs just liboconfig's
# plain struct and mapping.c/destkey.c nothing of collectd, which is what
# lets the unit tests (tests/unit/test_collectd_*.c) run without a daemon.
CD_DIR := collectd-plugin
CD_SO := $(BUILD)/$(CD_DIR)/ctscope.so
CD_OBJ := $(addprefix $(BUILD)/$(CD_DIR)/,ctscope.o options.o mapping.o destkey.o)
CD_PLUGINDIR ?= /usr/lib/collectd
CD_CONFDIR ?= /etc/collectd/collectd.conf.d
ALL += $(CD_SO)

# Debian's collectd-dev layout (FACTS.md). The headers compile cleanly with
# the project's warnings, so nothing is silenced; -isystem would hide their
# warnings without hiding ours if a later collectd-dev brings some.
CD_CFLAGS := -DHAVE_CONFIG_H -I/usr/include/collectd/core -I/usr/include/collectd -I/usr/include/collectd/core/daemon
$(BUILD)/$(CD_DIR)/ctscope.o: CFLAGS += $(CD_CFLAGS)

# The .so goes under $(BUILD) like every other artefact, so a sanitizer
# build cannot overwrite the one a normal build's e2e test loads.
# Only module_register is exported: libctscope's symbols stay private, so
# nothing else collectd loads can bind to them or clash with them.
$(CD_SO): $(CD_OBJ) $(LIBCTSCOPE) $(CD_DIR)/exports.map
	$(CC) $(LDFLAGS) -shared -Wl,--version-script=$(CD_DIR)/exports.map -o $@ $(CD_OBJ) $(LIBCTSCOPE) $(MNL_LIBS) -lm

install-collectd: $(CD_SO)
	install -D -m 0644 $(CD_SO) $(DESTDIR)$(CD_PLUGINDIR)/ctscope.so
	install -D -m 0644 $(CD_DIR)/ctscope.conf $(DESTDIR)$(CD_CONFDIR)/ctscope.conf.example

uninstall-collectd:
	rm -f $(DESTDIR)$(CD_PLUGINDIR)/ctscope.so $(DESTDIR)$(CD_CONFDIR)/ctscope.conf.example

install: install-collectd
uninstall: uninstall-collectd
.PHONY: install-collectd uninstall-collectd

# The glue's unit test includes ctscope.c and stands in for collectd's
# functions, so it needs collectd's headers too.
$(BUILD)/tests/unit/test_collectd_plugin.o: CFLAGS += $(CD_CFLAGS)
