# tests/tools/net_probe: loads bpf/net.bpf.c alone and dumps its rows (a
# check of the socket parsers apart from `synctrace http`).
$(BUILD)/tests/net_probe: tests/tools/net_probe.c $(BUILD)/net.skel.h $(LIB) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $< $(LIB) $(LDLIBS) -o $@

FIXTURES += $(BUILD)/tests/net_probe
