// SPDX-License-Identifier: MIT
/* What the watch renderers share: labels and times as text. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include "cli/watch.h"

bool watch_label_is_string(const struct watch_frame *f, __u32 op)
{
	const struct op_spec *spec = f->prog->specs[op < f->prog->nr_ops ? op : 0];

	return spec->has_label && expr__is_string(&spec->label);
}

const char *watch_label_text(const struct watch_frame *f, const struct op_key *k,
			     char *buf, size_t len)
{
	const char *text;

	if (k->kind == OPL_OTHER)
		return "other";
	if (k->kind == OPL_NONE)
		return "none";
	if (!watch_label_is_string(f, k->op)) {
		snprintf(buf, len, "%" PRId64, (int64_t)k->label);
		return buf;
	}
	text = op_names__find(f->names, k);
	snprintf(buf, len, "%s", text ? text : "?");
	return buf;
}

const char *watch_state_name(const struct state_spec *st, unsigned int slot, char *buf,
			     size_t len)
{
	if ((int)slot < st->nr_names)
		return st->names[slot];
	snprintf(buf, len, "%u", slot);
	return buf;
}

void watch_time_text(const struct watch_frame *f, uint64_t ts, char *buf, size_t len)
{
	int64_t ns = (int64_t)ts + f->mono_to_real_ns;
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ldZ", (long)(ns % 1000000000) / 1000);
}
