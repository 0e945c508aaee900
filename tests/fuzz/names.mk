# libFuzzer harness for the demangler wrapper and name matching
# (tests/fuzz/fuzz_demangle.c), built like fuzz.mk's (FUZZ_DIR, FUZZ_CFLAGS,
# FUZZ_OPTS; included after it: "names" > "fuzz"), with libiberty. Seeds: the mangled names of the C++ and Rust
# fixtures (tests/fixtures/langs.mk), each with a glob after a NUL.

FUZZ_DMG_SRCS := loader/demangle.c loader/sym_match.c
FUZZ_DMG_HDRS := loader/demangle.h loader/sym_match.h

$(FUZZ_DIR)/fuzz_demangle: tests/fuzz/fuzz_demangle.c $(FUZZ_DMG_SRCS) $(FUZZ_DMG_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_DMG_SRCS) -o $@ -liberty

$(FUZZ_DIR)/seeds_demangle/.done: $(addsuffix .names,$(FX_LANGS))
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	cat $^ | grep -E '^_[ZR]' | awk 'NR % 8 == 1' | head -200 | \
		awk -F'\t' -v d=$(dir $@) '{ printf "%s%c%s", $$1, 0, "sync::*" > (d "seed_" NR); }'
	@touch $@

.PHONY: fuzz-demangle
fuzz-demangle: $(FUZZ_DIR)/fuzz_demangle $(FUZZ_DIR)/seeds_demangle/.done
	@mkdir -p $(FUZZ_DIR)/corpus_demangle
	$< $(FUZZ_OPTS) -max_len=4096 -artifact_prefix=$(FUZZ_DIR)/demangle- \
		$(FUZZ_DIR)/corpus_demangle $(FUZZ_DIR)/seeds_demangle

fuzz: fuzz-demangle
