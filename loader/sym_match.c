// SPDX-License-Identifier: MIT
/*
 * Target globs against demangled C++ and Rust names: the forms of a name
 * and the test that spares demangling most names; see sym_match.h.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/sym_match.h"

#define MAX_TOKENS 16
#define OP_CHARS "<>=!+-*/%^&|~,"

/*
 * The words a demangler writes that the mangled name does not spell out
 * (libiberty's cp-demangle.c and rust-demangle.c): builtin types, std::
 * abbreviations, keywords, operator names and special names. A glob word
 * found inside one of them tells nothing about the mangled name. Too many
 * words here only cost speed; a missing one would hide a match, so
 * tests/unit/test_sym_match.c checks every word of real demangled names.
 */
static const char *const demangler_words[] = {
	/* C++: std:: abbreviations (St, Sa, Sb, Ss, Si, So, Sd) */
	"std", "allocator", "basic_string", "string", "char_traits", "basic_istream",
	"basic_ostream", "basic_iostream",
	/* builtin types and literal suffixes */
	"void", "wchar_t", "bool", "boolean", "byte", "char", "signed", "unsigned",
	"short", "int", "long", "__int128", "float", "double", "__float128", "_Float",
	"decimal32", "decimal64", "decimal128", "half", "char8_t", "char16_t",
	"char32_t", "nullptr", "bfloat16_t", "_Complex", "_Imaginary", "__vector",
	"_Sat", "_Accum", "_Fract", "ull", "true", "false", "JArray",
	/* keywords, qualifiers, operators */
	"operator", "new", "delete", "sizeof", "alignof", "__alignof__", "typeid",
	"noexcept", "throw", "co_await", "co_yield", "co_return", "dynamic_cast",
	"static_cast", "const_cast", "reinterpret_cast", "decltype", "auto", "const",
	"volatile", "restrict", "__restrict", "transaction_safe", "this", "requires",
	"template", "typename", "class", "struct", "union", "enum", "static",
	/* special names and the pieces libiberty makes up */
	"anonymous", "namespace", "lambda", "unnamed", "type", "default", "arg",
	"parm", "clone", "abi", "vtable", "VTT", "construction", "typeinfo", "name",
	"fn", "non", "virtual", "thunk", "covariant", "return", "java", "Class",
	"resource", "guard", "variable", "TLS", "init", "function", "wrapper",
	"reference", "temporary", "hidden", "alias", "transaction", "global",
	"constructors", "destructors", "keyed", "initializer", "module", "literal",
	"parameter", "object", "for", "local", "unlikely", "in", "to",
	/* Rust (v0 writes these itself; legacy spells them out, no harm) */
	"closure", "shim", "reify", "dyn", "extern", "unsafe", "mut", "as", "impl",
	"str", "isize", "usize", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64",
	"i128", "u128", "f32", "f64", "Self",
};

struct sym_glob {
	char *glob;
	bool scoped;		/* has "::" and does not start with '*' */
	char first;		/* its first character if a plain one, else 0 */
	char *tokens[MAX_TOKENS];
	size_t nr_tokens;
	char *scratch;		/* the forms of one name */
	size_t cap;
};

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

bool sym_word__verbatim(const char *w, size_t len)
{
	size_t i, n;

	/* numbers are written in many ways (5ul, hex, lambda numbers) */
	if (len < 2 || (w[0] >= '0' && w[0] <= '9'))
		return false;
	for (i = 0; i < len && (w[i] == '_' || (w[i] >= '0' && w[i] <= '9')); i++)
		;
	if (i == len)
		return false;
	for (i = 0; i < sizeof(demangler_words) / sizeof(*demangler_words); i++) {
		n = strlen(demangler_words[i]);
		if (n >= len && memmem(demangler_words[i], n, w, len))
			return false;
	}
	return true;
}

/* Keep run (a glob word) if it tells something about mangled names. */
static int add_token(struct sym_glob *g, const char *run, size_t len)
{
	if (!sym_word__verbatim(run, len) || g->nr_tokens == MAX_TOKENS)
		return 0;
	g->tokens[g->nr_tokens] = strndup(run, len);
	if (!g->tokens[g->nr_tokens])
		return -ENOMEM;
	g->nr_tokens++;
	return 0;
}

/*
 * The words of the glob's literal text. Wildcards and bracket expressions
 * end a word, as any other character that is not [A-Za-z0-9_] does; a word
 * next to a wildcard may be part of a longer one, which still contains it.
 */
static int find_tokens(struct sym_glob *g)
{
	const char *s = g->glob;
	size_t len = 0, j;
	char *run, c;
	int err = 0;

	run = malloc(strlen(s) + 1);
	if (!run)
		return -ENOMEM;
	while (*s && !err) {
		c = *s;
		if (c == '\\' && s[1]) {
			c = s[1];
			s += 2;
		} else if (c == '*' || c == '?') {
			c = 0;
			s++;
		} else if (c == '[') {
			/* [!...], []...]: as fnmatch reads them; no ']': a literal '[' */
			j = 1 + (s[1] == '!' || s[1] == '^');
			j += s[j] == ']';
			while (s[j] && s[j] != ']')
				j++;
			if (s[j]) {
				c = 0;
				s += j + 1;
			} else {
				s++;
			}
		} else {
			s++;
		}
		if (c && is_ident(c)) {
			run[len++] = c;
			continue;
		}
		err = add_token(g, run, len);
		len = 0;
	}
	if (!err)
		err = add_token(g, run, len);
	free(run);
	return err;
}

int sym_glob__new(const char *glob, struct sym_glob **out)
{
	struct sym_glob *g;
	int err;

	*out = NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->glob = strdup(glob);
	if (!g->glob) {
		err = -ENOMEM;
		goto cleanup;
	}
	g->scoped = glob[0] != '*' && strstr(glob, "::");
	g->first = strchr("*?[\\", glob[0]) ? 0 : glob[0];
	err = find_tokens(g);
	if (err)
		goto cleanup;
	*out = g;
	g = NULL;

cleanup:
	sym_glob__free(g);
	return err;
}

void sym_glob__free(struct sym_glob *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->nr_tokens; i++)
		free(g->tokens[i]);
	free(g->scratch);
	free(g->glob);
	free(g);
}

bool sym_glob__may_match(const struct sym_glob *g, const char *raw)
{
	size_t i;

	for (i = 0; i < g->nr_tokens; i++)
		if (!strstr(raw, g->tokens[i]))
			return false;
	return true;
}

/* s[i] starts the word "operator": the length of it and its symbol, or 0. */
static size_t operator_len(const char *s, size_t len, size_t i)
{
	size_t j = i + 8;

	if (len - i < 8 || memcmp(s + i, "operator", 8) || (i && is_ident(s[i - 1])) ||
	    (j < len && is_ident(s[j])))
		return 0;
	if (j + 1 < len && ((s[j] == '(' && s[j + 1] == ')') || (s[j] == '[' && s[j + 1] == ']')))
		return 10;
	while (j < len && strchr(OP_CHARS, s[j]))
		j++;
	return j - i;
}

size_t sym_name__next_scope(const char *s, size_t len, size_t from)
{
	size_t i, n;
	int depth = 0;

	for (i = from; i < len; i++) {
		if ((n = operator_len(s, len, i))) {
			i += n - 1;
			continue;
		}
		switch (s[i]) {
		case '(': case '<': case '[': case '{':
			depth++;
			break;
		case ')': case '>': case ']': case '}':
			depth--;
			break;
		case ':':
			if (!depth && i + 1 < len && s[i + 1] == ':' && i + 2 < len)
				return i + 2;
			break;
		}
		if (depth < 0)
			return 0;	/* unbalanced: not a name we understand */
	}
	return 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static const char *const qualifiers[] = {
	" const", " volatile", " restrict", " __restrict", " &&", " &", " noexcept",
	" transaction_safe",
};

size_t sym_name__base(const char *s, char *buf)
{
	size_t len = strlen(s), i, n, q;
	int depth = 0;
	bool again = true;

	while (again) {
		again = false;
		for (q = 0; q < sizeof(qualifiers) / sizeof(*qualifiers); q++) {
			if (ends_with(s, len, qualifiers[q])) {
				len -= strlen(qualifiers[q]);
				again = true;
			}
		}
	}
	/* nothing after the parameters: a clone, "f(int) [clone .cold]", has no base */
	if (!len || s[len - 1] != ')')
		return 0;
	/* parameters may hold parentheses of their own: void (*)(int) */
	for (i = len; i-- > 0;) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && !--depth)
			break;
	}
	if (i == (size_t)-1 || !i)
		return 0;
	/* without ABI tags: "f[abi:cxx11]" is f to its user */
	for (n = 0, q = 0; q < i; q++) {
		if (s[q] == '[' && !strncmp(s + q, "[abi:", 5)) {
			const char *end = memchr(s + q, ']', i - q);

			if (end) {
				q = (size_t)(end - s);
				continue;
			}
		}
		buf[n++] = s[q];
	}
	buf[n] = '\0';
	return n;
}

size_t sym_name__untemplated_len(const char *s, size_t len)
{
	size_t i, j;
	int depth = 0;

	if (!len || s[len - 1] != '>')
		return 0;
	for (i = len; i-- > 0;) {
		if (s[i] == '>')
			depth++;
		else if (s[i] == '<' && !--depth)
			break;
	}
	if (i == (size_t)-1 || !i)
		return 0;
	/* "operator<=>" ends in '>' too: no arguments there */
	for (j = i; j < len && strchr(OP_CHARS, s[j]); j++)
		;
	if (j == len && i >= 8 && !memcmp(s + i - 8, "operator", 8))
		return 0;
	/* "std::operator<< <char>", "m::apply::<u64>" */
	while (i && s[i - 1] == ' ')
		i--;
	if (i >= 2 && s[i - 1] == ':' && s[i - 2] == ':')
		i -= 2;
	return i;
}

static bool try_form(const struct sym_glob *g, const char *f, size_t len)
{
	size_t off = 0;

	if (!fnmatch(g->glob, f, 0))
		return true;
	if (!g->scoped)
		return false;
	while ((off = sym_name__next_scope(f, len, off)))
		if ((!g->first || f[off] == g->first) && !fnmatch(g->glob, f + off, 0))
			return true;
	return false;
}

/* A form that is a prefix of s: NUL-terminated in dst. */
static const char *prefix(char *dst, const char *s, size_t len)
{
	memcpy(dst, s, len);
	dst[len] = '\0';
	return dst;
}

bool sym_glob__match(struct sym_glob *g, const char *d, enum demangle_lang lang,
		     const char *hash)
{
	size_t len = strlen(d), need = 2 * (len + 1) + DEMANGLE_HASH_LEN + 3, n, t;
	const char *base = d;
	char *p;

	if (try_form(g, d, len))
		return true;
	if (need > g->cap) {
		p = realloc(g->scratch, need);
		if (!p)
			return false;
		g->scratch = p;
		g->cap = need;
	}
	p = g->scratch + len + 1;
	switch (lang) {
	case DEMANGLE_RUST_LEGACY:
		if (hash && *hash) {
			memcpy(p, d, len);
			n = len + (size_t)snprintf(p + len, DEMANGLE_HASH_LEN + 3, "::h%.16s",
						   hash);
			if (try_form(g, p, n))
				return true;
		}
		n = len;
		break;
	case DEMANGLE_CXX:
		n = sym_name__base(d, g->scratch);
		if (!n)
			return false;
		base = g->scratch;
		if (try_form(g, base, n))
			return true;
		break;
	case DEMANGLE_RUST_V0:
		n = len;
		break;
	default:
		return false;
	}
	t = sym_name__untemplated_len(base, n);
	return t && try_form(g, prefix(p, base, t), t);
}
