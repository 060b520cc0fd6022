/* The wipe helpers zero memory before it is freed: free() is wrapped at link time
 * (-Wl,--wrap=free) so the test sees a watched block just before it goes back to malloc.
 * Without explicit_bzero nothing else could tell (house rule 3). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "idp/device_authorization.h"
#include "idp/token.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void __real_free(void *block);
void __wrap_free(void *block);

static struct {
	const void *block;
	size_t len;
	bool freed;
	bool zero;
} watch;

void __wrap_free(void *block)
{
	if (block != NULL && block == watch.block) {
		watch.freed = true;
		watch.zero = true;
		for (size_t i = 0; i < watch.len; i++)
			watch.zero = watch.zero && ((const unsigned char *)block)[i] == 0;
	}
	__real_free(block);
}

static void watch_block(const void *block, size_t len)
{
	watch.block = block;
	watch.len = len;
	watch.freed = false;
	watch.zero = false;
}

static void assert_wiped(const char *what)
{
	if (!watch.freed)
		fail_msg("%s: the watched block was not freed", what);
	if (!watch.zero)
		fail_msg("%s: freed without being wiped", what);
}

static void test_strbuf_wipe_free_wipes(void **state)
{
	(void)state;
	struct strbuf buf;
	strbuf_init(&buf, 0);
	assert_int_equal(strbuf_append_str(&buf, "access-token-secret-value"), 0);
	watch_block(buf.data, buf.len);
	strbuf_wipe_free(&buf);
	assert_wiped("strbuf_wipe_free");
}

static void test_strbuf_growing_wipes_the_old_block(void **state)
{
	(void)state;
	struct strbuf buf;
	strbuf_init(&buf, 0);
	assert_int_equal(strbuf_append_str(&buf, "device-code-secret"), 0);
	const char *old = buf.data;
	size_t len = buf.len;
	watch_block(old, len);
	char big[4096];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(strbuf_append_str(&buf, big), 0);
	assert_ptr_not_equal(buf.data, old);
	assert_wiped("strbuf growing");
	strbuf_wipe_free(&buf);
}

static void test_secret_free_wipes(void **state)
{
	(void)state;
	char *secret = strdup("client-secret-value");
	assert_non_null(secret);
	watch_block(secret, strlen(secret));
	secret_free(secret);
	assert_wiped("secret_free");
}

static void test_clearing_a_grant_and_a_device_code_wipes_them(void **state)
{
	(void)state;
	struct token_grant grant = { .access_token = strdup("at-secret"), .id_token = strdup("id.token.secret") };
	assert_non_null(grant.access_token);
	watch_block(grant.access_token, strlen(grant.access_token));
	token_grant_clear(&grant);
	assert_wiped("token_grant_clear (access token)");

	struct device_authorization auth = { .device_code = strdup("device-code-secret") };
	assert_non_null(auth.device_code);
	watch_block(auth.device_code, strlen(auth.device_code));
	device_authorization_clear(&auth);
	assert_wiped("device_authorization_clear");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_wipe_free_wipes),
		cmocka_unit_test(test_strbuf_growing_wipes_the_old_block),
		cmocka_unit_test(test_secret_free_wipes),
		cmocka_unit_test(test_clearing_a_grant_and_a_device_code_wipes_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
