# libFuzzer harness for the times `synctrace report` takes (--since/--until:
# output/record_time.c), built like fuzz.mk's (FUZZ_DIR, FUZZ_CFLAGS, FUZZ_OPTS).

$(FUZZ_DIR)/fuzz_record_time: tests/fuzz/fuzz_record_time.c output/record_time.c \
		output/record_read.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< output/record_time.c -o $@

# Seeds: every form the README shows, and near misses.
FUZZ_RECORD_TIME_SEEDS := 'now' '10 min ago' '2 hours ago' '1d ago' '@1733400000' \
	'@1733400000.123456789' '2026-12-05 10:00:00' '2026-12-05T10:00:00Z' \
	'2026-12-05T10:00:00.5Z' '2026-12-05 10:00' '2026-02-29' '999999999 weeks ago'

$(FUZZ_DIR)/seeds_record_time/.done: tests/fuzz/record.mk
	@mkdir -p $(dir $@)
	@i=0; for s in $(FUZZ_RECORD_TIME_SEEDS); do \
		i=$$((i + 1)); printf '\0\0\0\0\0\0\0\1%s' "$$s" > $(dir $@)seed_$$i; \
	done; touch $@

.PHONY: fuzz-record-time
fuzz-record-time: $(FUZZ_DIR)/fuzz_record_time $(FUZZ_DIR)/seeds_record_time/.done
	@mkdir -p $(FUZZ_DIR)/corpus_record_time
	$< $(FUZZ_OPTS) -max_len=256 \
		-artifact_prefix=$(FUZZ_DIR)/record-time- \
		$(FUZZ_DIR)/corpus_record_time $(FUZZ_DIR)/seeds_record_time

fuzz: fuzz-record-time
