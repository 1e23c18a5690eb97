/* indicator_text.c - an indicator's progress to its target as people read it (indicator_text.h). */
#include <stdio.h>
#include <stdlib.h>

#include "indicator_text.h"

const char *indicator_text_pct(const Planreg__V1__IndicatorProgress *ip, char *out, size_t size)
{
	if (ip->progress == NULL || size < 16) {
		if (size)
			out[0] = '\0';
		return out;
	}
	int64_t t = ip->progress->tenths;
	snprintf(out, size, "%s%lld.%lld%%", t < 0 ? "-" : "", llabs(t) / 10, llabs(t) % 10);
	return out;
}

void indicator_text_line(struct buf *out, const Planreg__V1__IndicatorProgress *ip)
{
	if (ip->actual[0] == '\0') {
		buf_printf(out, "%s: no actual reported (%s -> %s %s by %s)", ip->name, ip->baseline_value,
			   ip->target_value, ip->unit, ip->target_date);
		return;
	}
	buf_printf(out, "%s: %s of %s %s by %s", ip->name, ip->actual, ip->target_value, ip->unit, ip->target_date);
	char pct[16];
	if (indicator_text_pct(ip, pct, sizeof pct)[0])
		buf_printf(out, ", %s of the way from %s", pct, ip->baseline_value);
	if (ip->period_target[0])
		buf_printf(out, " (%s planned for the quarter)", ip->period_target);
}
