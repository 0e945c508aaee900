// SPDX-License-Identifier: MIT
/* synctrace: what is a running sync engine doing? Entry point. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "cli/commands.h"
#include "cli/env.h"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int main(int argc, char **argv)
{
	struct env env;
	int rc;

	/* json-c prints doubles with 17 digits (0.14199999999999999) */
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
	/* diff traces nothing: its own options (cli/cmd_diff.c) */
	if (argc >= 2 && !strcmp(argv[1], "diff"))
		return cmd_diff(argc - 1, argv + 1);
	/* the commands that read recordings trace nothing: their own parsers */
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_report(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "mark"))
		return cmd_mark(argc, argv);
	env_parse(&env, argc, argv);
	libbpf_set_print(env.verbose ? libbpf_print : libbpf_quiet);
	switch (env.cmd) {
	case CMD_LIST:
		rc = cmd_list(&env);
		break;
	case CMD_WATCH:
		rc = cmd_watch(&env);
		break;
	case CMD_HTTP:
	case CMD_PG:
		rc = cmd_net(&env);
		break;
	default:
		rc = cmd_trace(&env);
		break;
	}
	env_free(&env);
	return rc;
}
