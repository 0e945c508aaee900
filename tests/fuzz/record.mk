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

# ... and for the histogram blobs a recording stores (fuzz_record_bins.c:
# output/record_db.c's record_bins_unpack), seeded with a few packed blobs.
$(FUZZ_DIR)/fuzz_record_bins: tests/fuzz/fuzz_record_bins.c output/record_db.c \
		output/record_db.h maps/hist.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< output/record_db.c maps/hist.c -lsqlite3 -o $@

$(FUZZ_DIR)/seeds_record_bins/.done: tests/fuzz/record.mk
	@mkdir -p $(dir $@)
	@printf '\x05\x01' > $(dir $@)one
	@printf '\x00\x03\x10\x80\x01\xcf\x06\x02' > $(dir $@)three
	@printf '' > $(dir $@)empty
	@touch $@

.PHONY: fuzz-record-bins
fuzz-record-bins: $(FUZZ_DIR)/fuzz_record_bins $(FUZZ_DIR)/seeds_record_bins/.done
	@mkdir -p $(FUZZ_DIR)/corpus_record_bins
	$< $(FUZZ_OPTS) -max_len=4096 \
		-artifact_prefix=$(FUZZ_DIR)/record-bins- \
		$(FUZZ_DIR)/corpus_record_bins $(FUZZ_DIR)/seeds_record_bins

fuzz: fuzz-record-bins

# ... and for the socket rows a recording stores (fuzz_record_net.c:
# output/record_net.c's record_net__load), seeded with a sound row or two.
$(FUZZ_DIR)/fuzz_record_net: tests/fuzz/fuzz_record_net.c output/record_net.c \
		output/record_net.h output/record_db.c output/record_db.h maps/hist.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< output/record_net.c output/record_db.c maps/hist.c \
		-lsqlite3 -o $@

# a frame of 1 row and 1 net row (pos 0, http, server, the rest NULL), one totals row;
# then 3 rows, 2 net rows (pos 0 and 2), a bins blob for the bytes in of the first
$(FUZZ_DIR)/seeds_record_net/.done: tests/fuzz/record.mk
	@mkdir -p $(dir $@)
	@{ printf '\x11\x01\x01\x00\x01\x00\x01\x00'; head -c 57 /dev/zero; \
		printf '\x01\x03\x01\x01\x01\x02\x01\x04\x01\x05\x01\x06'; } > $(dir $@)one
	@{ printf '\x23\x00\x01\x00\x01\x00\x01\x01\x00\x00\x01\x03\x00\x00\x00\x00\x00\x03\x02\x05\x03'; \
		head -c 50 /dev/zero; printf '\x01\x02\x01\x03\x01\x01'; head -c 57 /dev/zero; } \
		> $(dir $@)two
	@touch $@

.PHONY: fuzz-record-net
fuzz-record-net: $(FUZZ_DIR)/fuzz_record_net $(FUZZ_DIR)/seeds_record_net/.done
	@mkdir -p $(FUZZ_DIR)/corpus_record_net
	$< $(FUZZ_OPTS) -max_len=4096 \
		-artifact_prefix=$(FUZZ_DIR)/record-net- \
		$(FUZZ_DIR)/corpus_record_net $(FUZZ_DIR)/seeds_record_net

fuzz: fuzz-record-net
