/* Our own strict check of JSON text (RFC 8259) before json-c parses it. json-c's
 * JSON_TOKENER_STRICT means different things in different releases (0.17 and 0.18 refuse
 * every byte above 0x7f in strict mode, and integers past 64 bits, where 0.16 accepts
 * both), so the promises a response parser makes are kept here, the same on every json-c:
 * - the grammar of RFC 8259 §2-7 and nothing else: no comments, no single quotes, no
 *   trailing commas, no NaN or Infinity, no leading zeros, literals in lower case;
 * - UTF-8 (RFC 3629) throughout: no overlong forms, surrogates or code points past
 *   U+10FFFF, and no \u escape of an unpaired surrogate;
 * - no control character (U+0000-U+001F) unescaped inside a string or a key;
 * - integers (no fraction, no exponent) within [-2^63, 2^64-1], which json-c stores
 *   exactly (it would silently saturate others);
 * - values nested at most MAX_DEPTH levels deep, counted as json-c counts them: the top
 *   value is level 1, a value inside it level 2 (so a number inside 15 arrays inside the
 *   top object is too deep, and 15 empty arrays there are not), and nothing but white
 *   space after the top value. */
#ifndef PAM_OAUTH2_JSON_TEXT_H
#define PAM_OAUTH2_JSON_TEXT_H

#include <stddef.h>

/* Returns NULL when LEN bytes of TEXT are one JSON value that keeps those promises, else
 * why not: "invalid UTF-8", "JSON nested too deep", "integer out of range", "data after
 * the JSON object" or "malformed JSON". */
const char *json_text_check(const char *text, size_t len, int max_depth);

#endif
