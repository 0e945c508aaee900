# The record output alone, without BPF (bench/RESULTS.md "Outputs"): `make bench-record`.
$(BUILD)/bench/record_cost: bench/record_cost.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $< $(LIB) -o $@ $(LDLIBS)

.PHONY: bench-record
bench-record: $(BUILD)/bench/record_cost
	@echo "| ops × labels | rows/interval | intervals | CPU ms/interval (median) | p90 | mean | KiB/interval | GB/hour at 1 s |"
	@echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	@$< 8 16 60 $(BUILD)
	@$< 64 256 60 $(BUILD)
