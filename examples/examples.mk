# The sample sync engine (examples/README.md): the target `make demo` traces, and a fixture
# the integration tests trace against its own exact counts.
$(BUILD)/examples/syncrelay: examples/syncrelay.c include/synctrace/sdt.h examples/examples.mk
	@mkdir -p $(dir $@)
	$(CC) $(REQ_CFLAGS) -O2 -g -Wall examples/syncrelay.c -o $@ -lpthread

FIXTURES += $(BUILD)/examples/syncrelay
