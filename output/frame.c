// SPDX-License-Identifier: MIT
/* What every output asks of a frame. */
#include <stdio.h>
#include <time.h>
#include "output/frame.h"

const char *const frame_ws_opcode_names[FRAME_WS_OPCODES] = {
	"cont", "text", "binary", "close", "ping", "pong",
};

const char *frame_state_name(const struct frame_state *s, unsigned int slot, char *buf,
			     size_t len)
{
	if ((int)slot < s->nr_names)
		return s->names[slot];
	snprintf(buf, len, "%u", slot);
	return buf;
}

unsigned int frame_state_current(const struct frame_state *s)
{
	return (unsigned int)(s->rec->cur_since & (STATE_VALUES - 1));
}

uint64_t frame_wall_ns(const struct output_frame *f, uint64_t mono_ns)
{
	return (uint64_t)((int64_t)mono_ns + f->mono_to_real_ns);
}

uint64_t frame_drops_total(const struct output_frame *f)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < f->nr_drops; i++)
		n += f->drops[i].n;
	return n;
}

void frame_drops_line(FILE *out, const struct output_frame *f)
{
	bool any = false;
	size_t i;

	for (i = 0; i < f->nr_drops; i++) {
		if (!f->drops[i].n)
			continue;
		fprintf(out, "%s%s=%llu", any ? " " : "drops: ", f->drops[i].name,
			(unsigned long long)f->drops[i].n);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

void frame_time_text(uint64_t wall_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / 1000000000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ldZ", (long)(wall_ns % 1000000000) / 1000);
}
