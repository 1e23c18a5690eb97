/* progress.h - a progress bar on stderr for long work (a batch, a long audit), drawn only when
 * stderr is a terminal (and TERM is not "dumb"), so that pipes, logs and scripts never see it. */
#ifndef PLANREG_PROGRESS_H
#define PLANREG_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct progress {
	bool on;          /* drawing at all */
	const char *what; /* "submitting", "verifying" */
	size_t done, total;
	uint64_t started_ms, drawn_ms;
	int width; /* characters of the line now on stderr; 0 when none */
};

/* Starts a bar for total steps (0: not known yet) when tty says stderr is a terminal. */
void progress_begin(struct progress *p, bool tty, const char *what, size_t total);
/* Records done steps of total (total 0: keep the one known); redraws at most ten times a second. With
 * neither steps nor a total (0, 0) the line is what and the time alone: a wait for one long answer. */
void progress_update(struct progress *p, size_t done, size_t total);
/* Clears the line, so that what follows on stderr starts clean; begin again to show it anew. */
void progress_clear(struct progress *p);
/* Clears the bar for good. */
void progress_end(struct progress *p);

/* The line drawn for done of total after elapsed_ms, into out (at least 80 bytes); for tests. */
void progress_format(char *out, size_t size, const char *what, size_t done, size_t total, uint64_t elapsed_ms);

#endif
