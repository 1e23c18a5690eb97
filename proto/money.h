/* money.h - money as integer pence: parse the spellings people write, format for people. */
#ifndef PLANREG_MONEY_H
#define PLANREG_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest amount accepted anywhere: £10 trillion, far above any plan and far below INT64_MAX. */
#define MONEY_MAX_PENCE ((int64_t)1000000000000000LL)

/*
 * Reads one amount at the start of s: an optional "£", optional spaces, digits
 * (with optional thousands commas in groups of three), an optional decimal
 * part, an optional suffix k/K (thousand), m/M (million) or bn (billion).
 * A bare number is pounds: "1200000.50" is 120000050 pence.
 * Returns the number of bytes consumed, or 0 when s does not start with an
 * amount, the amount is out of range or has more precision than a penny, or
 * it runs straight on into a letter or digit ("12abc", "3mx").
 */
size_t money_scan(const char *s, int64_t *pence);

/* Whole-string parse with surrounding whitespace allowed: "£1.2M", "£55,000", "£600k". */
bool money_parse(const char *s, int64_t *pence) __attribute__((warn_unused_result));

/* "£7,200,000" for whole pounds, "£1,200,000.50" otherwise; "-£5" when negative. */
#define MONEY_FMT_MAX 32
void money_format(int64_t pence, char out[MONEY_FMT_MAX]);

/* Pounds as a spreadsheet and money_parse read them back: "1200000.50", "1200000", "-5". */
void money_format_plain(int64_t pence, char out[MONEY_FMT_MAX]);

#endif
