// SPDX-License-Identifier: MIT
/* Probe sites uprobes would run wrongly; see insn_guard.h. */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <Zydis/Zydis.h>
#include "loader/insn_guard.h"

bool insn_guard__unsafe(const void *buf, size_t len)
{
	ZydisDecodedInstruction insn;
	ZydisDecoder dec;

	if (ZYAN_FAILED(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
	    ZYAN_FAILED(ZydisDecoderDecodeInstruction(&dec, NULL, buf, len, &insn)))
		return false;
	return insn.encoding == ZYDIS_INSTRUCTION_ENCODING_EVEX ||
	       insn.encoding == ZYDIS_INSTRUCTION_ENCODING_MVEX;
}

int insn_guard__unsafe_at(int fd, __u64 offset)
{
	unsigned char buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
	ssize_t n;

	do
		n = pread(fd, buf, sizeof(buf), (off_t)offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return insn_guard__unsafe(buf, (size_t)n);
}
