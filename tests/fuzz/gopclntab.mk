# libFuzzer harness for Go's function table reader (tests/fuzz/fuzz_gopclntab.c),
# built like fuzz.mk's (included before this file). Seeds: the real tables of
# the Go fixtures (tests/fixtures/runtimes.mk: a program's .gopclntab, and a
# c-shared library's .data.rel.ro, where the system linker put it), each after
# the harness's mode byte, and small tables of each format the same source
# writes when built with -DGOPCLNTAB_SEEDS.

FUZZ_GOPCLNTAB_SRCS := loader/go_pclntab.c loader/elf_file.c
FUZZ_GOPCLNTAB_HDRS := loader/go_pclntab.h loader/elf_file.h tests/unit/gopclntab_build.h

$(FUZZ_DIR)/fuzz_gopclntab: tests/fuzz/fuzz_gopclntab.c $(FUZZ_GOPCLNTAB_SRCS) \
		$(FUZZ_GOPCLNTAB_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_GOPCLNTAB_SRCS) -o $@ -lelf

$(FUZZ_DIR)/gopclntab_seeds: tests/fuzz/fuzz_gopclntab.c $(FUZZ_GOPCLNTAB_SRCS) \
		$(FUZZ_GOPCLNTAB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -Iinclude -DGOPCLNTAB_SEEDS $< \
		$(FUZZ_GOPCLNTAB_SRCS) -o $@ -lelf

# Mode bytes (fuzz_gopclntab.c): 0x00 an executable's .gopclntab, 0x03 a
# shared object's .data.rel.ro.
$(FUZZ_DIR)/seeds_gopclntab/.done: $(FUZZ_DIR)/gopclntab_seeds $(FX_RT_DIR)/fx_go \
		$(FX_RT_DIR)/libfxgo.so
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	$(FUZZ_DIR)/gopclntab_seeds $(dir $@)
	objcopy -O binary --only-section=.gopclntab $(FX_RT_DIR)/fx_go $(dir $@)fx_go.sect
	printf '\000' | cat - $(dir $@)fx_go.sect > $(dir $@)fx_go && rm $(dir $@)fx_go.sect
	objcopy -O binary --only-section=.data.rel.ro $(FX_RT_DIR)/libfxgo.so $(dir $@)lib.sect
	printf '\003' | cat - $(dir $@)lib.sect > $(dir $@)libfxgo && rm $(dir $@)lib.sect
	@touch $@

.PHONY: fuzz-gopclntab
fuzz: fuzz-gopclntab
fuzz-gopclntab: $(FUZZ_DIR)/fuzz_gopclntab $(FUZZ_DIR)/seeds_gopclntab/.done
	@mkdir -p $(FUZZ_DIR)/corpus_gopclntab
	$< $(FUZZ_OPTS) -max_len=1048576 -artifact_prefix=$(FUZZ_DIR)/gopclntab- \
		$(FUZZ_DIR)/corpus_gopclntab $(FUZZ_DIR)/seeds_gopclntab
