# libFuzzer harness for probe placement's decision on a function's code
# (fuzz_placement.c: loader/placement.c with Zydis), built like fuzz.mk's
# (FUZZ_DIR, FUZZ_CFLAGS, FUZZ_OPTS), seeded with fx_place's code.

$(FUZZ_DIR)/fuzz_placement: tests/fuzz/fuzz_placement.c loader/placement.c loader/x86_insn.c \
		loader/placement.h loader/x86_insn.h loader/attach.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< loader/placement.c loader/x86_insn.c -o $@ -lZydis

$(FUZZ_DIR)/seeds_placement/.done: $(BUILD)/fixtures/placement/fx_place
	@mkdir -p $(dir $@)
	objcopy -O binary --only-section=.text $< $(dir $@)fx_place.text
	@printf '\0\0\xf3\x0f\x1e\xfa\x55\x5d\xc3' > $(dir $@)endbr_push
	@printf '\0\0\x48\x89\xf9\x48\x83\xe9\x01\x75\xfa\xc3' > $(dir $@)loop
	@printf '\0\0\x48\x85\xff\x74\x01\x90\xc3' > $(dir $@)test_jcc
	@touch $@

.PHONY: fuzz-placement
fuzz-placement: $(FUZZ_DIR)/fuzz_placement $(FUZZ_DIR)/seeds_placement/.done
	@mkdir -p $(FUZZ_DIR)/corpus_placement
	$< $(FUZZ_OPTS) -max_len=4096 -artifact_prefix=$(FUZZ_DIR)/placement- \
		$(FUZZ_DIR)/corpus_placement $(FUZZ_DIR)/seeds_placement

fuzz: fuzz-placement
