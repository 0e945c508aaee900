// SPDX-License-Identifier: MIT
/*
 * C++ and Rust symbol names made readable by libiberty (Debian's
 * libiberty-dev); see demangle.h.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>
#include "loader/demangle.h"

/* No return types: a row starts with its scope, and so does a glob. */
#define CXX_OPTS	(DMGL_PARAMS | DMGL_ANSI | DMGL_RET_DROP)
/* Verbose prints a legacy hash, which we cut off and keep apart. */
#define LEGACY_OPTS	(DMGL_VERBOSE)
#define V0_OPTS		0

/* The start and end of our own image (the linker's): libiberty's string literals. */
extern const char __executable_start[], _end[];

/* The demangler's output, built piece by piece by its callback. */
struct out_buf {
	char *buf;
	size_t len, cap;
	bool failed;		/* too long, or out of memory */
	bool nomem;		/* out of memory, in this run or one before */
	jmp_buf *abort;		/* where a run that failed jumps back to */
	bool rust;
	const char *raw;	/* the mangled name, raw_len long */
	size_t raw_len;
};

/*
 * Whether the demangler can be left from inside its callback, piece s in
 * hand. Names can grow exponentially as they print (a substitution or
 * backreference printed twice, nested: a 428-byte C++ name printed 83 MB
 * in a second, and a few bytes more, minutes), so a run that has failed
 * must be stopped, not just ignored. libiberty's C++ callback path holds
 * no heap memory; its Rust one holds a buffer only while printing a
 * Punycode identifier from it: leave only on a piece of the mangled name
 * itself or a string literal of ours, never that buffer.
 */
static bool can_leave(const struct out_buf *o, const char *s)
{
	if (!o->abort)
		return false;
	if (!o->rust)
		return true;
	return (s >= o->raw && s < o->raw + o->raw_len) ||
	       (s >= __executable_start && s < _end);
}

static void append(const char *s, size_t n, void *opaque)
{
	struct out_buf *o = opaque;
	size_t cap;
	char *p;

	/* libiberty hands an empty piece of a name as (NULL, 0): not for memcpy */
	if (!n)
		return;
	if (!o->failed && n > DEMANGLE_MAX_OUT - o->len)
		o->failed = true;
	if (o->failed) {
		if (can_leave(o, s))
			longjmp(*o->abort, 1);
		return;
	}
	if (o->len + n + 1 > o->cap) {
		cap = o->cap ? o->cap : 256;
		while (cap < o->len + n + 1)
			cap *= 2;
		p = realloc(o->buf, cap);
		if (!p) {
			o->failed = o->nomem = true;
			return;
		}
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

bool demangle__maybe(const char *raw)
{
	return raw[0] == '_' && (raw[1] == 'Z' || raw[1] == 'R') && isalnum((unsigned char)raw[2]);
}

static bool is_hex16(const char *s)
{
	for (int i = 0; i < 16; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return false;
	return true;
}

size_t demangle__legacy_prefix_len(const char *raw)
{
	const char *p, *at = NULL;

	if (strncmp(raw, "_ZN", 3))
		return 0;
	/* "17h" + 16 hex digits + "E", then the end or a ".suffix" (.llvm.N) */
	for (p = raw + 3; (p = strstr(p, "17h")); p++)
		if (strnlen(p, 20) == 20 && is_hex16(p + 3) && p[19] == 'E' &&
		    (!p[20] || p[20] == '.'))
			at = p;
	return at ? (size_t)(at - raw) : 0;
}

/* Run one demangler into a fresh buffer; true if it succeeded within bounds. */
static bool run(int (*fn)(const char *, int, demangle_callbackref, void *),
		const char *raw, int opts, struct out_buf *o)
{
	bool nomem = o->nomem;
	jmp_buf env;

	free(o->buf);
	*o = (struct out_buf){
		.nomem = nomem,
		.abort = &env,
		.rust = fn == rust_demangle_callback,
		.raw = raw,
		.raw_len = strlen(raw),
	};
	if (setjmp(env)) {
		o->abort = NULL;
		return false;
	}
	if (!fn(raw, opts, append, o)) {
		o->abort = NULL;
		return false;
	}
	o->abort = NULL;
	return !o->failed && o->len;
}

/* "...::h0123456789abcdef" at the end of a verbose legacy name: cut it off. */
static bool cut_hash(struct out_buf *o, char hash[DEMANGLE_HASH_LEN])
{
	char *h;

	if (o->len < 19)
		return false;
	h = o->buf + o->len - 19;
	if (strncmp(h, "::h", 3) || !is_hex16(h + 3))
		return false;
	memcpy(hash, h + 3, 16);
	hash[16] = '\0';
	*h = '\0';
	o->len -= 19;
	return o->len > 0;
}

int demangle(const char *raw, struct demangled *out)
{
	struct out_buf o = {};

	*out = (struct demangled){};
	if (!demangle__maybe(raw) || strnlen(raw, DEMANGLE_MAX_IN + 1) > DEMANGLE_MAX_IN)
		return -EINVAL;
	if (raw[1] == 'R') {
		if (run(rust_demangle_callback, raw, V0_OPTS, &o))
			out->lang = DEMANGLE_RUST_V0;
	} else if (demangle__legacy_prefix_len(raw) &&
		   run(rust_demangle_callback, raw, LEGACY_OPTS, &o) &&
		   cut_hash(&o, out->hash)) {
		out->lang = DEMANGLE_RUST_LEGACY;
	} else if (run(cplus_demangle_v3_callback, raw, CXX_OPTS, &o)) {
		out->hash[0] = '\0';
		out->lang = DEMANGLE_CXX;
	}
	if (out->lang == DEMANGLE_NONE) {
		free(o.buf);
		out->hash[0] = '\0';
		return o.nomem ? -ENOMEM : -EINVAL;
	}
	/* Trim what a doubling left over: node keeps tens of thousands of these. */
	out->name = realloc(o.buf, o.len + 1) ?: o.buf;
	return 0;
}

void demangled__clear(struct demangled *d)
{
	free(d->name);
	*d = (struct demangled){};
}
