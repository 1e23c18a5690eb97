/* indicator_text.h - an indicator's progress to its target as people read it, shared by `planreg status`
 * (its "indicators" key) and the board report (docs/assurance.md, "Indicators"). */
#ifndef PLANREG_INDICATOR_TEXT_H
#define PLANREG_INDICATOR_TEXT_H

#include "buf.h"
#include "planreg.pb-c.h"

/* "Homes connected: 150 of 1000 homes by 2027-12-31, 15.0% of the way from 0 (200 planned for the
 * quarter)"; without an actual "Homes connected: no actual reported (0 -> 1000 homes by 2027-12-31)". */
void indicator_text_line(struct buf *out, const Planreg__V1__IndicatorProgress *ip);
/* The progress as "15.0%" (tenths of a percent, so 1000 is "100.0%"), into a buffer of at least 16 bytes;
 * "" when there is none. */
const char *indicator_text_pct(const Planreg__V1__IndicatorProgress *ip, char *out, size_t size);

#endif
