# libFuzzer harnesses for the parsers of what users and the kernel hand us:
# the ops language (tests/fuzz/fuzz_ops.c), TARGETs (fuzz_target.c), the
# streaming BTF reader (fuzz_btf.c) and Go's function table
# (fuzz_gopclntab.c). Built like fuzz.mk's (included before this file:
# FUZZ_DIR, FUZZ_CFLAGS, FUZZ_OPTS), each run its own target, so that
# `make -jN fuzz` runs them side by side.

FUZZ_OPS_SRCS := cli/ops_spec.c cli/ops_probe.c cli/ops_options.c cli/ops_expr.c \
		 loader/target_spec.c
FUZZ_OPS_HDRS := cli/ops_spec.h cli/ops_probe.h cli/ops_options.h cli/ops_expr.h \
		 cli/ops_lex.h loader/target_spec.h maps/ops.h

$(FUZZ_DIR)/fuzz_ops: tests/fuzz/fuzz_ops.c $(FUZZ_OPS_SRCS) $(FUZZ_OPS_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_OPS_SRCS) -o $@

$(FUZZ_DIR)/fuzz_target: tests/fuzz/fuzz_target.c loader/target_spec.c loader/target_spec.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< loader/target_spec.c -o $@

# A 64-byte chunk: inputs of a few KiB cross chunk boundaries in every way
# the 64 KiB chunk of the real build meets on the kernel's 5 MB.
$(FUZZ_DIR)/fuzz_btf: tests/fuzz/fuzz_btf.c loader/kfunc_btf.c loader/kfunc_btf.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -DKFUNC_BTF_CHUNK=64 $< loader/kfunc_btf.c -o $@

# Seeds: the real ops files; real TARGETs (README); the kernel's BTF cut to
# a few KiB, and a hand-made one (tests/fuzz/btf_seeds.py).
FUZZ_OPS_SEEDS := $(wildcard profiles/*.ops examples/*.ops) tests/fuzz/language.ops
FUZZ_TARGET_SEEDS := relay_handle_push 'libpq:PQexec*' /usr/local/bin/relayd:apply_change \
	'relay_*' usdt:relay:push 'usdt:build/examples/syncrelay:synctrace:*' \
	memcpy@GLIBC_2.2.5 'libc:memcpy@@GLIBC_2.14' ./build/x:f 'usdt:libpq:pq:*' 'sync_[ab]?' \
	'/usr/bin/syncthing:github.com/x/lib/model.(*folder).pull' 'main.Map[...]' 'sync::push' \
	'./rs:sd_core::sync::PeerSync::apply*' ./rs:sync::push+0x10 bin:0x1a2b /bin/g:type:.eq.T

$(FUZZ_DIR)/seeds_ops/.done: $(FUZZ_OPS_SEEDS)
	@mkdir -p $(dir $@)
	cp $^ $(dir $@) && touch $@

$(FUZZ_DIR)/seeds_target/.done: tests/fuzz/parsers.mk
	@mkdir -p $(dir $@)
	@i=0; for s in $(FUZZ_TARGET_SEEDS); do \
		i=$$((i + 1)); printf '%s' "$$s" > $(dir $@)seed_$$i; \
	done; touch $@

$(FUZZ_DIR)/seeds_btf/.done: tests/fuzz/btf_seeds.py
	$(PYTHON) $< $(dir $@) && touch $@

.PHONY: fuzz-ops fuzz-target fuzz-btf
fuzz-ops: $(FUZZ_DIR)/fuzz_ops $(FUZZ_DIR)/seeds_ops/.done
	@mkdir -p $(FUZZ_DIR)/corpus_ops
	$< $(FUZZ_OPTS) -max_len=16384 -dict=tests/fuzz/ops.dict \
		-artifact_prefix=$(FUZZ_DIR)/ops- \
		$(FUZZ_DIR)/corpus_ops $(FUZZ_DIR)/seeds_ops

fuzz-target: $(FUZZ_DIR)/fuzz_target $(FUZZ_DIR)/seeds_target/.done
	@mkdir -p $(FUZZ_DIR)/corpus_target
	$< $(FUZZ_OPTS) -max_len=512 \
		-artifact_prefix=$(FUZZ_DIR)/target- \
		$(FUZZ_DIR)/corpus_target $(FUZZ_DIR)/seeds_target

fuzz-btf: $(FUZZ_DIR)/fuzz_btf $(FUZZ_DIR)/seeds_btf/.done
	@mkdir -p $(FUZZ_DIR)/corpus_btf
	$< $(FUZZ_OPTS) -max_len=65536 \
		-artifact_prefix=$(FUZZ_DIR)/btf- \
		$(FUZZ_DIR)/corpus_btf $(FUZZ_DIR)/seeds_btf

fuzz: fuzz-ops fuzz-target fuzz-btf

# Go's function table reader: the first byte of an input says how the harness
# wraps the rest in an ELF file. Seeds: the real tables of the Go fixtures
# (tests/fixtures/runtimes.mk: a program's .gopclntab, a c-shared library's
# .data.rel.ro, where the system linker put it) after a mode byte, and small
# tables of each format that the same source writes with -DGOPCLNTAB_SEEDS.
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
