# libFuzzer harnesses for the gates' parsers of untrusted text: --assert
# checks (tests/fuzz/fuzz_check.c) and the NDJSON summaries diff reads
# (fuzz_summary.c, json-c). Built like fuzz.mk's (FUZZ_DIR, FUZZ_CFLAGS,
# FUZZ_OPTS; included after it: "gates" > "fuzz").

FUZZ_GATE_SRCS := output/check.c output/metrics.c output/text_safe.c output/units.c maps/hist.c
FUZZ_GATE_HDRS := output/check.h output/metrics.h output/text_safe.h output/units.h \
		  output/frame.h maps/hist.h maps/hist_bucket.h

$(FUZZ_DIR)/fuzz_check: tests/fuzz/fuzz_check.c $(FUZZ_GATE_SRCS) $(FUZZ_GATE_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_GATE_SRCS) -o $@ -lm

$(FUZZ_DIR)/fuzz_summary: tests/fuzz/fuzz_summary.c output/summary_read.c \
		output/summary_read.h $(FUZZ_GATE_SRCS) $(FUZZ_GATE_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< output/summary_read.c $(FUZZ_GATE_SRCS) -o $@ -ljson-c -lm

# Seeds: the checks of the README, and summaries of each shape (with a bucket).
FUZZ_CHECK_SEEDS := 'push.p95<100ms' 'sync.error_rate<5%' 'apply.count>=1000' \
	'relay_push.rate>50/s' 'push[3].p95<=2ms' 'req.value.p99<4096' \
	'main.(*T).apply.p999==1.5us' 'q::Queue<int>::push.count>0'

$(FUZZ_DIR)/seeds_check/.done: tests/fuzz/gates.mk
	@mkdir -p $(dir $@)
	@i=0; for s in $(FUZZ_CHECK_SEEDS); do \
		i=$$((i + 1)); printf '%s' "$$s" > $(dir $@)seed_$$i; \
	done; touch $@

$(FUZZ_DIR)/seeds_summary/.done: tests/fuzz/gates.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' '{"interval_s": 2.0, "ops": [{"op": "f", "target": "b:f", "count": 3, "latency_ns": {"min": 16, "mean": 17.0, "p50": 17, "max": 18, "buckets": [[16, 17, 1], [17, 18, 1], [18, 19, 1]]}}], "drops": {}, "summary": true}' > $(dir $@)lat
	@printf '%s\n' '{"interval_s": 1, "ops": [{"op": "f", "target": "b:f", "count": 2, "rate_per_s": 2}], "drops": {}}' '{"interval_s": 3, "ops": [{"op": "f", "target": "b:f", "count": 5, "rate_per_s": 1.67}], "drops": {}, "summary": true}' > $(dir $@)count
	@printf '%s\n' '{"interval_s": 10, "ops": [{"op": "push", "label": 1, "count": 9, "errors": 1, "error_rate": 0.1111, "timeouts": 2, "inflight": 0, "value": {"count": 9, "sum": 90, "mean": 10, "p95": 12, "min": 1, "max": 20}, "latency_ns": {"count": 9, "sum": 900, "mean": 100, "p50": 90, "p95": 200, "max": 250}}], "op_totals": [], "summary": true}' > $(dir $@)watch
	@touch $@

.PHONY: fuzz-check fuzz-summary
fuzz-check: $(FUZZ_DIR)/fuzz_check $(FUZZ_DIR)/seeds_check/.done
	@mkdir -p $(FUZZ_DIR)/corpus_check
	$< $(FUZZ_OPTS) -max_len=512 -artifact_prefix=$(FUZZ_DIR)/check- \
		$(FUZZ_DIR)/corpus_check $(FUZZ_DIR)/seeds_check

fuzz-summary: $(FUZZ_DIR)/fuzz_summary $(FUZZ_DIR)/seeds_summary/.done
	@mkdir -p $(FUZZ_DIR)/corpus_summary
	$< $(FUZZ_OPTS) -max_len=8192 -artifact_prefix=$(FUZZ_DIR)/summary- \
		$(FUZZ_DIR)/corpus_summary $(FUZZ_DIR)/seeds_summary

fuzz: fuzz-check fuzz-summary
