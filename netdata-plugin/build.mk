# ctscope.plugin: the netdata external plugin, and its alarms.
# protocol.c and options.c hold everything testable; main.c only loops.
ND_OBJ := $(BUILD)/netdata-plugin/protocol.o $(BUILD)/netdata-plugin/options.o
ND_PLUGIN := $(BUILD)/netdata-plugin/ctscope.plugin
ALL += $(ND_PLUGIN)

# Where netdata looks. Debian's netdata-core uses /usr/lib/netdata/plugins.d
# and /usr/lib/netdata/conf.d/health.d; netdata's own installer (and most
# other distributions) /usr/libexec/netdata/plugins.d. Take whichever
# exists; override on the command line for anything else.
NETDATA_PLUGINS_DIR ?= $(firstword $(wildcard /usr/libexec/netdata/plugins.d /usr/lib/netdata/plugins.d) \
	/usr/libexec/netdata/plugins.d)
# The stock health directory, not /etc/netdata/health.d: that one is the
# administrator's, where a copy of ctscope.conf (made with
# `/etc/netdata/edit-config health.d/ctscope.conf`) overrides ours and
# survives `make uninstall` and reinstalls.
NETDATA_HEALTH_DIR ?= $(firstword $(wildcard /usr/lib/netdata/conf.d/health.d \
	/usr/libexec/netdata/conf.d/health.d) /usr/lib/netdata/conf.d/health.d)
NETDATA_GROUP ?= netdata

$(ND_PLUGIN): $(BUILD)/netdata-plugin/main.o $(ND_OBJ) $(LIBCTSCOPE)
	$(CC) $(LDFLAGS) -o $@ $^ $(MNL_LIBS) -lm

# The unit tests link the writer and the option parser directly. Own
# rules, not extra prerequisites of tests/build.mk's pattern rule: those
# would land after libctscope.a on the link line, too late to resolve
# what the plugin's objects take from it.
$(BUILD)/tests/unit/test_netdata_%.o: CFLAGS += -Inetdata-plugin
$(BUILD)/tests/unit/test_netdata_protocol: $(BUILD)/tests/unit/test_netdata_protocol.o \
		$(BUILD)/netdata-plugin/protocol.o $(LIBCTSCOPE)
	$(CC) $(LDFLAGS) -o $@ $^ $(MNL_LIBS) -lcmocka -lm
$(BUILD)/tests/unit/test_netdata_options: $(BUILD)/tests/unit/test_netdata_options.o \
		$(BUILD)/netdata-plugin/options.o $(LIBCTSCOPE)
	$(CC) $(LDFLAGS) -o $@ $^ $(MNL_LIBS) -lcmocka -lm

# Mode 0750 root:netdata: only netdata (which runs it) may execute a binary
# holding capabilities. cap_net_admin reads the conntrack table;
# cap_sys_admin is only for setns() into the namespaces named by --netns.
# setcap comes last: changing the owner clears file capabilities.
install-netdata: $(ND_PLUGIN)
	@getent group $(NETDATA_GROUP) >/dev/null || { echo "install-netdata: no group '$(NETDATA_GROUP)': install netdata first, or pass NETDATA_GROUP=..." >&2; exit 1; }
	install -d $(DESTDIR)$(NETDATA_PLUGINS_DIR) $(DESTDIR)$(NETDATA_HEALTH_DIR)
	install -m 0750 -o root -g $(NETDATA_GROUP) $(ND_PLUGIN) $(DESTDIR)$(NETDATA_PLUGINS_DIR)/ctscope.plugin
	setcap cap_net_admin,cap_sys_admin+ep $(DESTDIR)$(NETDATA_PLUGINS_DIR)/ctscope.plugin
	install -m 0644 netdata-plugin/health.d/ctscope.conf $(DESTDIR)$(NETDATA_HEALTH_DIR)/ctscope.conf
	@echo "installed; restart netdata to load the plugin and its alarms (see the netdata section of the README)"

uninstall-netdata:
	rm -f $(DESTDIR)$(NETDATA_PLUGINS_DIR)/ctscope.plugin $(DESTDIR)$(NETDATA_HEALTH_DIR)/ctscope.conf

install: install-netdata
uninstall: uninstall-netdata
.PHONY: install-netdata uninstall-netdata
