/* Making text from the network safe for a terminal or a log line (house rule 2). */
#ifndef PAM_OAUTH2_SANITIZE_H
#define PAM_OAUTH2_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

/* A new string holding IN_LEN bytes of IN made safe to print: tab, CR and LF become
 * spaces; every other C0 or C1 control, DEL, bidirectional override and invalid
 * UTF-8 byte becomes '?', so escape sequences (CSI, OSC 8/52) cannot start. The
 * result has at most MAX_BYTES bytes (>= 4) before its NUL, cut on a character
 * boundary and ended with "..." when IN was longer. NULL only when memory runs out. */
char *sanitize_for_terminal(const char *in, size_t in_len, size_t max_bytes);

/* True when LEN bytes of TEXT are all printable ASCII other than space (0x21-0x7e):
 * what we require of a user code or a URL that a person must read or type exactly. */
bool is_visible_ascii(const char *text, size_t len);

/* True when LEN bytes of A and B are equal ignoring ASCII case only: the locale (sudo runs
 * with the user's) must not decide who may log in. */
bool ascii_equal_ignoring_case(const char *a, const char *b, size_t len);

/* True when URL is "https://" then a host (not a path, query, fragment or port), and
 * visible ASCII throughout: what we accept as an endpoint or a URI to show a person. */
bool is_https_url(const char *url);

#endif
