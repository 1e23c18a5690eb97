/* money.c - money as integer pence: scanning the spellings plans use, formatting for people. */
#include "money.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

/* The pound sign in UTF-8. */
#define MONEY_POUND "\xc2\xa3"
#define MONEY_POUND_LEN 2

/* More fraction digits than this can never be a whole number of pence, whatever the suffix. */
#define MONEY_MAX_SCALE_DIGITS 11

static bool money_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool money_is_alnum(char c)
{
	return money_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int64_t money_pow10(int n)
{
	int64_t v = 1;
	while (n-- > 0)
		v *= 10;
	return v;
}

/*
 * Reads the integer part, either plain digits or digits in comma groups of
 * three. Returns bytes consumed, 0 when malformed ("1,20", "1234,567").
 * *too_big is set rather than overflowing, so huge inputs are rejected cleanly.
 */
static size_t money_scan_integer(const char *s, int64_t *value, bool *too_big)
{
	size_t i = 0;
	size_t group = 0;
	bool commas = false;
	int64_t v = 0;

	*too_big = false;
	while (money_is_digit(s[i]) || (s[i] == ',' && money_is_digit(s[i + 1]))) {
		if (s[i] == ',') {
			/* the first group may hold 1-3 digits, every later one exactly 3 */
			if (group == 0 || group > 3 || (commas && group != 3))
				return 0;
			commas = true;
			group = 0;
			i++;
			continue;
		}
		if (v > MONEY_MAX_PENCE)
			*too_big = true;
		else
			v = v * 10 + (s[i] - '0');
		group++;
		i++;
	}
	if (i == 0 || (commas && group != 3))
		return 0;
	*value = v;
	return i;
}

/* The fraction after a '.', up to MONEY_MAX_SCALE_DIGITS digits; *overflow when anything
 * non-zero lies beyond. Returns the characters read (0 when there is no fraction). */
static size_t money_scan_fraction(const char *s, int64_t *frac, int *digits, bool *overflow)
{
	*frac = 0;
	*digits = 0;
	*overflow = false;
	if (s[0] != '.' || !money_is_digit(s[1]))
		return 0;
	size_t i = 1;
	for (; money_is_digit(s[i]); i++) {
		if (*digits < MONEY_MAX_SCALE_DIGITS) {
			*frac = *frac * 10 + (s[i] - '0');
			(*digits)++;
		} else if (s[i] != '0') {
			*overflow = true;
		}
	}
	return i;
}

/* A unit suffix: pence per unit as a power of ten (pound 2, thousand 5, million 8, billion 11). */
static size_t money_scan_unit(const char *s, int *scale_digits)
{
	*scale_digits = 2;
	if ((s[0] == 'b' || s[0] == 'B') && (s[1] == 'n' || s[1] == 'N')) {
		*scale_digits = 11;
		return 2;
	}
	if (s[0] == 'm' || s[0] == 'M') {
		*scale_digits = 8;
		return 1;
	}
	if (s[0] == 'k' || s[0] == 'K') {
		*scale_digits = 5;
		return 1;
	}
	return 0;
}

size_t money_scan(const char *s, int64_t *pence)
{
	size_t i = 0;
	if (strncmp(s, MONEY_POUND, MONEY_POUND_LEN) == 0) {
		i += MONEY_POUND_LEN;
		while (s[i] == ' ' || s[i] == '\t')
			i++;
	}
	if (!money_is_digit(s[i]))
		return 0;
	int64_t whole = 0, frac;
	bool too_big, frac_overflow;
	int frac_digits, scale_digits;
	size_t n = money_scan_integer(s + i, &whole, &too_big);
	if (n == 0)
		return 0;
	i += n;
	i += money_scan_fraction(s + i, &frac, &frac_digits, &frac_overflow);
	i += money_scan_unit(s + i, &scale_digits);
	/* "12abc" or "3mx" is not an amount followed by text; it is not an amount */
	if (money_is_alnum(s[i]))
		return 0;
	while (frac_digits > 0 && frac % 10 == 0) {
		frac /= 10;
		frac_digits--;
	}
	if (frac_overflow || frac_digits > scale_digits || too_big)
		return 0;
	int64_t scale = money_pow10(scale_digits);
	if (whole > MONEY_MAX_PENCE / scale)
		return 0;
	int64_t v = whole * scale + frac * money_pow10(scale_digits - frac_digits);
	if (v > MONEY_MAX_PENCE)
		return 0;
	*pence = v;
	return i;
}

bool money_parse(const char *s, int64_t *pence)
{
	while (text_is_space(*s))
		s++;
	int64_t v;
	size_t n = money_scan(s, &v);
	if (n == 0)
		return false;
	s += n;
	while (text_is_space(*s))
		s++;
	if (*s != '\0')
		return false;
	*pence = v;
	return true;
}

void money_format(int64_t pence, char out[MONEY_FMT_MAX])
{
	/* work on the magnitude as unsigned so INT64_MIN has no overflow */
	uint64_t mag = pence < 0 ? (uint64_t)(-(pence + 1)) + 1 : (uint64_t)pence;
	uint64_t pounds = mag / 100;
	unsigned pennies = (unsigned)(mag % 100);

	/* build right to left */
	char tmp[MONEY_FMT_MAX];
	size_t pos = sizeof(tmp);
	tmp[--pos] = '\0';
	if (pennies != 0) {
		tmp[--pos] = (char)('0' + pennies % 10);
		tmp[--pos] = (char)('0' + pennies / 10);
		tmp[--pos] = '.';
	}
	int digits = 0;
	do {
		if (digits > 0 && digits % 3 == 0)
			tmp[--pos] = ',';
		tmp[--pos] = (char)('0' + pounds % 10);
		pounds /= 10;
		digits++;
	} while (pounds != 0);
	tmp[--pos] = MONEY_POUND[1];
	tmp[--pos] = MONEY_POUND[0];
	if (pence < 0)
		tmp[--pos] = '-';
	memcpy(out, tmp + pos, sizeof(tmp) - pos);
}

void money_format_plain(int64_t pence, char out[MONEY_FMT_MAX])
{
	uint64_t mag = pence < 0 ? (uint64_t)(-(pence + 1)) + 1 : (uint64_t)pence;
	if (mag % 100)
		snprintf(out, MONEY_FMT_MAX, "%s%llu.%02u", pence < 0 ? "-" : "", (unsigned long long)(mag / 100),
			 (unsigned)(mag % 100));
	else
		snprintf(out, MONEY_FMT_MAX, "%s%llu", pence < 0 ? "-" : "", (unsigned long long)(mag / 100));
}
