# libFuzzer harnesses for the ELF layer (tests/fuzz/fuzz_elf.c) and the
# decoding of functions for their rets (fuzz_ret_sites.c), built with
# clang and sanitizers straight from the loader sources, not from the gcc
# library. `make fuzz` runs each for $(FUZZ_SECONDS) s and fails on a finding.

FUZZ_SECONDS ?= 20
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE -I. -Iinclude
# The debug file sources (split debug files, MiniDebugInfo) that the symbol
# table reads for a stripped file. The decoder's memory limit is lowered
# under -malloc_limit_mb: an xz dictionary the real limit admits is not a
# finding.
FUZZ_DBG_SRCS := loader/sym_debug.c loader/debug_file.c loader/minidebuginfo.c \
		 loader/proc_files.c loader/proc_maps.c loader/text_lines.c
FUZZ_DBG_HDRS := loader/debug_file.h loader/minidebuginfo.h loader/proc_files.h \
		 loader/proc_maps.h loader/text_lines.h
FUZZ_DBG_FLAGS := -DMINIDEBUGINFO_MEMLIMIT='(32ULL << 20)'
FUZZ_DBG_LIBS := -lelf -lz -llzma
# and the demangler the table reads C++ and Rust names with
FUZZ_DMG_ELF_SRCS := loader/demangle.c loader/sym_match.c loader/sym_names.c
FUZZ_DMG_ELF_HDRS := loader/demangle.h loader/sym_match.h loader/sym_names.h
FUZZ_ELF_SRCS := loader/elf_file.c loader/sym_table.c loader/sym_build.c loader/sym_elf.c \
		 loader/sym_go.c loader/go_pclntab.c loader/edit_distance.c loader/usdt_notes.c \
		 loader/lang_runtime.c $(FUZZ_DBG_SRCS) $(FUZZ_DMG_ELF_SRCS)
FUZZ_ELF_HDRS := loader/elf_file.h loader/sym_table.h loader/sym_table_internal.h \
		 loader/sym_source.h loader/go_pclntab.h \
		 loader/edit_distance.h loader/usdt_notes.h loader/lang_runtime.h $(FUZZ_DBG_HDRS) \
		 $(FUZZ_DMG_ELF_HDRS)
# A finding is any crash, leak, hang over 10 s, or single allocation over
# 64 MiB: inputs are at most 64 KiB, so nothing honest needs that much.
FUZZ_OPTS    := -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-malloc_limit_mb=64 -rss_limit_mb=1024 -print_final_stats=1

$(FUZZ_DIR)/fuzz_elf: tests/fuzz/fuzz_elf.c $(FUZZ_ELF_SRCS) $(FUZZ_ELF_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_DBG_FLAGS) $< $(FUZZ_ELF_SRCS) -o $@ $(FUZZ_DBG_LIBS) -liberty

$(FUZZ_DIR)/fuzz_usdt_args: tests/fuzz/fuzz_elf.c loader/usdt_notes.c \
		loader/elf_file.c $(FUZZ_ELF_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -DFUZZ_USDT_ARGS $< loader/usdt_notes.c \
		loader/elf_file.c -o $@ -lelf

$(FUZZ_DIR)/fuzz_ldcache: tests/fuzz/fuzz_ldcache.c loader/libpath.c loader/proc_maps.c \
		loader/libpath.h loader/proc_maps.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< loader/libpath.c loader/proc_maps.c -o $@

$(FUZZ_DIR)/seeds_ldcache/.done:
	@mkdir -p $(dir $@)
	@cp /etc/ld.so.cache $(dir $@)real 2>/dev/null || printf 'glibc-ld.so.cache1.1' > $(dir $@)real
	@touch $@

# The /proc parsers (maps lines and stat, loader/proc_parse.h): fuzz_proc.c,
# seeded with this machine's own lines and a few the kernel writes rarely.
$(FUZZ_DIR)/fuzz_proc: tests/fuzz/fuzz_proc.c loader/proc_maps.c loader/proc_maps.h \
		loader/proc_parse.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< loader/proc_maps.c -o $@

$(FUZZ_DIR)/seeds_proc/.done: tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	@cat /proc/self/maps > $(dir $@)maps
	@cat /proc/self/stat > $(dir $@)stat
	@printf '7f00-7f10 r-xp 00001000 fe:01 42   /opt/a b/lib\\012x.so (deleted)\n' > $(dir $@)deleted
	@printf '4242 (a) b (c)) Z 1 2 3 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 3 0 1 2 3\n' > $(dir $@)zombie
	@touch $@

.PHONY: fuzz-proc
fuzz-proc: $(FUZZ_DIR)/fuzz_proc $(FUZZ_DIR)/seeds_proc/.done
	@mkdir -p $(FUZZ_DIR)/corpus_proc
	$(FUZZ_DIR)/fuzz_proc $(FUZZ_OPTS) -max_len=4096 \
		-artifact_prefix=$(FUZZ_DIR)/proc- \
		$(FUZZ_DIR)/corpus_proc $(FUZZ_DIR)/seeds_proc

# Argument strings as gcc and clang write them, plus a few that must fail.
FUZZ_ARG_SEEDS := '-4@%edi 8@-16(%rbp) 4@$$5' '8@%rax' '-1@%sil' '8@(%rbx)' \
	'-4@40+CheckpointStats(%rip)' '8@(%rax,%rbx,8)' '2@%r8w -8@0x10(%r15)'

$(FUZZ_DIR)/seeds_args/.done: tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	@i=0; for s in $(FUZZ_ARG_SEEDS); do \
		i=$$((i + 1)); printf '%s' "$$s" > $(dir $@)seed_$$i; \
	done; touch $@

# A function's machine code, decoded for its rets (loader/ret_sites.c with
# Zydis), seeded with fx_rets' code (tests/fixtures/rets.mk) and a few bytes.
$(FUZZ_DIR)/fuzz_ret_sites: tests/fuzz/fuzz_ret_sites.c loader/ret_sites.c loader/x86_insn.c \
		loader/elf_file.c loader/ret_sites.h loader/x86_insn.h maps/ret_probes.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< loader/ret_sites.c loader/x86_insn.c loader/elf_file.c \
		-o $@ -lZydis -lelf

$(FUZZ_DIR)/seeds_ret_sites/.done: $(BUILD)/fixtures/rets/fx_rets
	@mkdir -p $(dir $@)
	objcopy -O binary --only-section=.text $< $(dir $@)fx_rets.text
	@printf '\0\0\x55\x48\x89\xe5\x5d\xc3' > $(dir $@)push_pop_ret
	@printf '\0\0\x75\x02\xff\xe0\xc3' > $(dir $@)jnz_jmp_ret
	@touch $@

# FX_ELF_ALL and FX_ELF_DIR come from tests/fixtures/elf.mk, FX_RT_MARKS and
# FX_RT_MARK_DIR (small programs with a Go or OCaml marker) from
# tests/fixtures/runtimes.mk, FX_DBG_DIR and FX_DBG_ALL (split debug files)
# from tests/fixtures/debug.mk, which the top Makefile includes first
# (sorted: "fixtures" < "fuzz"). fuzz-elf also reads the MiniDebugInfo
# seeds: a stripped file's symbol table decodes its .gnu_debugdata.
# One target per harness, so that `make -jN fuzz` runs them side by side.
.PHONY: fuzz fuzz-elf fuzz-usdt-args fuzz-ldcache fuzz-ret-sites
fuzz: fuzz-elf fuzz-usdt-args fuzz-ldcache fuzz-proc fuzz-ret-sites

fuzz-ret-sites: $(FUZZ_DIR)/fuzz_ret_sites $(FUZZ_DIR)/seeds_ret_sites/.done
	@mkdir -p $(FUZZ_DIR)/corpus_ret_sites
	$< $(FUZZ_OPTS) -max_len=65536 -artifact_prefix=$(FUZZ_DIR)/ret-sites- \
		$(FUZZ_DIR)/corpus_ret_sites $(FUZZ_DIR)/seeds_ret_sites

fuzz-elf: $(FUZZ_DIR)/fuzz_elf $(FX_ELF_ALL) $(FX_RT_MARKS) $(FUZZ_DIR)/seeds_minidebuginfo/.done
	@mkdir -p $(FUZZ_DIR)/corpus_elf
	$< $(FUZZ_OPTS) -max_len=65536 -artifact_prefix=$(FUZZ_DIR)/elf- \
		$(FUZZ_DIR)/corpus_elf $(FX_ELF_DIR) $(FX_RT_MARK_DIR) $(FUZZ_DIR)/seeds_minidebuginfo

fuzz-usdt-args: $(FUZZ_DIR)/fuzz_usdt_args $(FUZZ_DIR)/seeds_args/.done
	@mkdir -p $(FUZZ_DIR)/corpus_args
	$< $(FUZZ_OPTS) -max_len=256 -artifact_prefix=$(FUZZ_DIR)/args- \
		$(FUZZ_DIR)/corpus_args $(FUZZ_DIR)/seeds_args

fuzz-ldcache: $(FUZZ_DIR)/fuzz_ldcache $(FUZZ_DIR)/seeds_ldcache/.done
	@mkdir -p $(FUZZ_DIR)/corpus_ldcache
	$< $(FUZZ_OPTS) -max_len=65536 -artifact_prefix=$(FUZZ_DIR)/ldcache- \
		$(FUZZ_DIR)/corpus_ldcache $(FUZZ_DIR)/seeds_ldcache

# Split debug files (fuzz_debuglink.c: .gnu_debuglink contents, build-id
# notes, candidate files and the lookup in a scratch root) and MiniDebugInfo
# (fuzz_minidebuginfo.c: xz streams and whole files), seeded from
# tests/fixtures/debug.mk's fixtures and the raw sections in them.
FUZZ_DBG_ONLY := loader/debug_file.c loader/elf_file.c loader/proc_files.c loader/proc_maps.c \
		 loader/text_lines.c

$(FUZZ_DIR)/fuzz_debuglink: tests/fuzz/fuzz_debuglink.c $(FUZZ_DBG_ONLY) $(FUZZ_DBG_HDRS) \
		loader/elf_file.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_DBG_ONLY) -o $@ $(FUZZ_DBG_LIBS)

$(FUZZ_DIR)/fuzz_minidebuginfo: tests/fuzz/fuzz_minidebuginfo.c loader/minidebuginfo.c \
		loader/elf_file.c loader/minidebuginfo.h loader/elf_file.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_DBG_FLAGS) $< loader/minidebuginfo.c loader/elf_file.c \
		-o $@ $(FUZZ_DBG_LIBS)

$(FUZZ_DIR)/seeds_debuglink/.done: $(FX_DBG_ALL)
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	cp $(addprefix $(FX_DBG_DIR)/,fx_split.debug fx_split.debug.badcrc fx_split_other.debug \
		fx_split_link fx_split_wrongid) $(dir $@)
	objcopy --dump-section .gnu_debuglink=$(dir $@)debuglink \
		--dump-section .note.gnu.build-id=$(dir $@)build_id \
		$(FX_DBG_DIR)/fx_split_link $(dir $@)junk && rm -f $(dir $@)junk
	@touch $@

$(FUZZ_DIR)/seeds_minidebuginfo/.done: $(FX_DBG_ALL)
	@rm -rf $(dir $@) && mkdir -p $(dir $@)
	cp $(FX_DBG_DIR)/fx_split_mini $(dir $@)
	objcopy --dump-section .gnu_debugdata=$(dir $@)stream.xz \
		$(FX_DBG_DIR)/fx_split_mini $(dir $@)junk && rm -f $(dir $@)junk
	@touch $@

.PHONY: fuzz-debuglink fuzz-minidebuginfo
fuzz: fuzz-debuglink fuzz-minidebuginfo

fuzz-debuglink: $(FUZZ_DIR)/fuzz_debuglink $(FUZZ_DIR)/seeds_debuglink/.done
	@mkdir -p $(FUZZ_DIR)/corpus_debuglink
	FUZZ_DEBUGLINK_FILE=$(FX_DBG_DIR)/fx_split_link $< $(FUZZ_OPTS) -max_len=65536 \
		-artifact_prefix=$(FUZZ_DIR)/debuglink- \
		$(FUZZ_DIR)/corpus_debuglink $(FUZZ_DIR)/seeds_debuglink

fuzz-minidebuginfo: $(FUZZ_DIR)/fuzz_minidebuginfo $(FUZZ_DIR)/seeds_minidebuginfo/.done
	@mkdir -p $(FUZZ_DIR)/corpus_minidebuginfo
	$< $(FUZZ_OPTS) -max_len=65536 -artifact_prefix=$(FUZZ_DIR)/minidebuginfo- \
		$(FUZZ_DIR)/corpus_minidebuginfo $(FUZZ_DIR)/seeds_minidebuginfo
