# The overhead benchmark (`make bench`, results in bench/RESULTS.md): a
# target with hand-written probe sites, a 500-function target, and the
# kernel floor (empty BPF programs attached the way synctrace attaches).
# Not part of the product: nothing here goes into FIXTURES or `all`.
BENCH_DIR  := $(BUILD)/bench
BENCH_BINS := $(BENCH_DIR)/target $(BENCH_DIR)/many $(BENCH_DIR)/floor
BENCH_ARGS ?=

# bench: also the name of this directory, so it must be phony to run at all
.PHONY: bench bench-bins
bench-bins: $(BENCH_BINS)

$(BENCH_DIR)/target: bench/target.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -pthread $< -o $@

# -fno-ipa-icf with noipa: 500 identical bodies must keep 500 addresses
$(BENCH_DIR)/many: bench/many.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fno-ipa-icf $< -o $@

$(BENCH_DIR)/floor.bpf.o: bench/floor.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_DIR)/floor.skel.h: $(BENCH_DIR)/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(BENCH_DIR)/floor: bench/floor.c $(BENCH_DIR)/floor.skel.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -I$(BENCH_DIR) $< $(LIB) -o $@ $(LDLIBS)

bench: $(BIN) $(BENCH_BINS)
	BUILD=$(BUILD) $(PYTHON) bench/overhead $(BENCH_ARGS)

# What each output costs side by side (bench/output_cost, bench/RESULTS.md
# "Outputs"): `make bench-outputs`, options in BENCH_OUTPUTS_ARGS.
BENCH_OUTPUTS_ARGS ?=
.PHONY: bench-outputs

# -fno-ipa-icf with noipa: 64 identical bodies must keep 64 addresses
$(BENCH_DIR)/routes: bench/routes.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fno-ipa-icf $< -o $@

bench-outputs: $(BIN) $(BENCH_DIR)/routes
	$(PYTHON) bench/output_cost --build $(BUILD) $(BENCH_OUTPUTS_ARGS)

# Probe placement and the USDT contract's sites, per prologue class, side by
# side (bench/placement, bench/RESULTS.md "Probe placement"): `make
# bench-placement`, options in BENCH_PLACEMENT_ARGS.
BENCH_PLACEMENT_ARGS ?=
PLACE_BINS := $(BENCH_DIR)/place_target $(BENCH_DIR)/place_classes $(BENCH_DIR)/usdt_nop5 \
	      $(BENCH_DIR)/usdt_nop1 $(BENCH_DIR)/floor
.PHONY: bench-placement

$(BENCH_DIR)/place_target: bench/place_target.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@

$(BENCH_DIR)/place_classes: bench/place_classes.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

$(BENCH_DIR)/usdt_nop5: bench/usdt_target.c include/synctrace/sdt.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@

$(BENCH_DIR)/usdt_nop1: bench/usdt_target.c include/synctrace/sdt.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -DSYNCTRACE_SDT_NOP1 $< -o $@

bench-placement: $(BIN) $(PLACE_BINS)
	$(PYTHON) bench/placement --build $(BUILD) $(BENCH_PLACEMENT_ARGS)

# What `synctrace http` costs (bench/net_cost, bench/RESULTS.md "Sockets"):
# `make bench-http`, options in BENCH_HTTP_ARGS. Needs ab (apache2-utils) and
# the Node relay's npm packages (tests/fixtures/net.mk, read after this file:
# its FX_NET_DIR cannot name the prerequisite here), as test_http_flood does.
BENCH_HTTP_ARGS ?=
.PHONY: bench-http

$(BENCH_DIR)/sysloop $(BENCH_DIR)/http_server: $(BENCH_DIR)/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< -o $@

$(BENCH_DIR)/netfloor.bpf.o $(BENCH_DIR)/helper_cost.bpf.o: $(BENCH_DIR)/%.bpf.o: bench/%.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_DIR)/netfloor.skel.h $(BENCH_DIR)/helper_cost.skel.h: $(BENCH_DIR)/%.skel.h: $(BENCH_DIR)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

# bench/helper_cost (make build/bench/helper_cost): what each piece of a
# syscall program costs, kernel-timed (bench/RESULTS.md "Sockets")
$(BENCH_DIR)/netfloor $(BENCH_DIR)/helper_cost: $(BENCH_DIR)/%: bench/%.c $(BENCH_DIR)/%.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -I$(BENCH_DIR) $< -o $@ $(LDLIBS)

bench-http: $(BIN) $(BUILD)/tests/net_probe $(BENCH_DIR)/sysloop $(BENCH_DIR)/http_server $(BENCH_DIR)/netfloor $(BUILD)/fixtures/net/node_modules/.installed
	$(PYTHON) bench/net_cost --build $(BUILD) $(BENCH_HTTP_ARGS)
