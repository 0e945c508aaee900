// SPDX-License-Identifier: MIT
/* A run's outputs, fanned out to in order. */
#include <errno.h>
#include "output/output.h"

int outputs__add(struct outputs *s, struct output *o)
{
	if (!o)
		return -EINVAL;
	if (s->nr == OUTPUTS_MAX) {
		o->ops->close(o);
		return -ENOSPC;
	}
	s->v[s->nr++] = o;
	return 0;
}

int outputs__frame(struct outputs *s, const struct output_frame *f)
{
	int first = 0, err;
	size_t i;

	for (i = 0; i < s->nr; i++)
		if ((err = s->v[i]->ops->frame(s->v[i], f)) && !first)
			first = err;
	return first;
}

int outputs__close(struct outputs *s)
{
	int worst = 0, code;
	size_t i;

	for (i = 0; i < s->nr; i++)
		if ((code = s->v[i]->ops->close(s->v[i])) > worst)
			worst = code;
	s->nr = 0;
	return worst;
}
