/* progress.c - the progress bar of progress.h: "  submitting [#########.........]  412/1000  3.1 s",
 * or, with nothing counted (a wait for one long answer), "  importing 80 projects  1.2 s". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"

#define PROGRESS_BAR 24
#define PROGRESS_REDRAW_MS 100

static uint64_t progress_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void progress_format(char *out, size_t size, const char *what, size_t done, size_t total, uint64_t elapsed_ms)
{
	char bar[PROGRESS_BAR + 1];
	size_t filled = total > 0 ? (done >= total ? PROGRESS_BAR : done * PROGRESS_BAR / total) : 0;
	for (size_t i = 0; i < PROGRESS_BAR; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[PROGRESS_BAR] = '\0';
	double s = (double)elapsed_ms / 1000.0;
	if (total > 0)
		snprintf(out, size, "  %s [%s] %zu/%zu  %.1f s", what, bar, done, total, s);
	else if (done == 0)
		snprintf(out, size, "  %s  %.1f s", what, s);
	else
		snprintf(out, size, "  %s %zu  %.1f s", what, done, s);
}

static void progress_draw(struct progress *p, uint64_t now)
{
	char line[160];
	progress_format(line, sizeof line, p->what, p->done, p->total, now - p->started_ms);
	int n = (int)strlen(line);
	/* pad over a longer line drawn before; \r returns to its start */
	fprintf(stderr, "\r%s%*s", line, p->width > n ? p->width - n : 0, "");
	fflush(stderr);
	p->width = n > p->width ? n : p->width;
	p->drawn_ms = now;
}

void progress_begin(struct progress *p, bool tty, const char *what, size_t total)
{
	const char *term = getenv("TERM");
	*p = (struct progress){
		.on = tty && !(term != NULL && strcmp(term, "dumb") == 0),
		.what = what,
		.total = total,
		.started_ms = progress_now_ms(),
	};
}

void progress_update(struct progress *p, size_t done, size_t total)
{
	if (!p->on)
		return;
	p->done = done;
	if (total > 0)
		p->total = total;
	uint64_t now = progress_now_ms();
	bool last = p->total > 0 && done >= p->total;
	if (p->width == 0 || last || now - p->drawn_ms >= PROGRESS_REDRAW_MS)
		progress_draw(p, now);
}

void progress_clear(struct progress *p)
{
	if (p->width == 0)
		return;
	fprintf(stderr, "\r%*s\r", p->width, "");
	fflush(stderr);
	p->width = 0;
}

void progress_end(struct progress *p)
{
	progress_clear(p);
	p->on = false;
}
