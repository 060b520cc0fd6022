/* cache_policy.h (how long a response may be reused; the entry header) and disk_cache.h
 * (root-only directory, atomic entries, refusals). */
#include "config.h"

#include "rules/cache_policy.h"
#include "io/disk_cache.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch_dir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1800000000LL
#define URL "https://idp.example/.well-known/openid-configuration"
#define BODY "{\"issuer\":\"https://idp.example\"}"

static void test_default_ttl_without_headers(void **state)
{
	(void)state;
	assert_int_equal(cache_lifetime(NULL, 0, NOW, 3600), 3600);
	assert_int_equal(cache_lifetime("", 0, NOW, 3600), 3600);
	assert_int_equal(cache_lifetime("public", 0, NOW, 3600), 3600);
}

static void test_max_age_sets_the_lifetime_but_never_past_the_default(void **state)
{
	(void)state;
	assert_int_equal(cache_lifetime("max-age=60", 0, NOW, 3600), 60);
	assert_int_equal(cache_lifetime("public, Max-Age=120", 0, NOW, 3600), 120);
	assert_int_equal(cache_lifetime("max-age=86400", 0, NOW, 3600), 3600);
	/* max-age wins over Expires (RFC 9111 §5.3). */
	assert_int_equal(cache_lifetime("max-age=10", NOW + 500, NOW, 3600), 10);
}

static void test_no_store_no_cache_and_bad_max_age_forbid_caching(void **state)
{
	(void)state;
	assert_int_equal(cache_lifetime("no-store", 0, NOW, 3600), 0);
	assert_int_equal(cache_lifetime("public, no-cache", 0, NOW, 3600), 0);
	assert_int_equal(cache_lifetime("max-age=0", 0, NOW, 3600), 0);
	assert_int_equal(cache_lifetime("max-age=-5", 0, NOW, 3600), 0);
	assert_int_equal(cache_lifetime("max-age=abc", 0, NOW, 3600), 0);
	assert_int_equal(cache_lifetime("max-age", 0, NOW, 3600), 0);
	/* A directive that merely begins with a known name is another directive. */
	assert_int_equal(cache_lifetime("no-storey", 0, NOW, 3600), 3600);
}

static void test_expires_sets_the_lifetime(void **state)
{
	(void)state;
	assert_int_equal(cache_lifetime(NULL, NOW + 90, NOW, 3600), 90);
	assert_int_equal(cache_lifetime(NULL, NOW - 10, NOW, 3600), 0);
	assert_int_equal(cache_lifetime(NULL, NOW + 99999, NOW, 3600), 3600);
	assert_int_equal(cache_lifetime(NULL, NOW + 90, NOW, 0), 0);
}

static const char *hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_entry_round_trips(void **state)
{
	(void)state;
	char entry[512];
	int header_len = cache_header_format(entry, 128, NOW + 60, hash);
	assert_true(header_len > 0);
	strcpy(entry + header_len, BODY);
	const char *body;
	size_t body_len;
	assert_int_equal(cache_entry_parse(entry, strlen(entry), hash, NOW, &body, &body_len), 0);
	assert_int_equal(body_len, strlen(BODY));
	assert_memory_equal(body, BODY, body_len);
}

static void test_entry_for_another_url_expired_or_malformed_is_refused(void **state)
{
	(void)state;
	char entry[512];
	const char *body;
	size_t body_len;
	int header_len = cache_header_format(entry, 128, NOW + 60, hash);
	strcpy(entry + header_len, BODY);
	char other[65];
	memcpy(other, hash, 65);
	other[0] = 'f';
	assert_int_equal(cache_entry_parse(entry, strlen(entry), other, NOW, &body, &body_len), -1);
	assert_int_equal(cache_entry_parse(entry, strlen(entry), hash, NOW + 60, &body, &body_len), -1);
	const char *bad[] = { BODY, "pam_oauth2-cache 2 1900000000 x\n{}", "pam_oauth2-cache 1 soon abc\n{}",
			      "pam_oauth2-cache 1 1900000000\n{}", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cache_entry_parse(bad[i], strlen(bad[i]), hash, NOW, &body, &body_len), -1);
}

struct fixture {
	char dir[64];
	char cache[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_int_equal(scratch_dir_create(f->dir, sizeof(f->dir), "test_cache"), 0);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(scratch_dir_remove(f->dir), 0);
	free(f);
	return 0;
}

static void test_store_then_load_hits_until_expiry(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	size_t len = 0;
	assert_null(disk_cache_load(f->cache, getuid(), "discovery", URL, NOW, &len, &why));
	assert_int_equal(disk_cache_store(f->cache, getuid(), "discovery", URL, BODY, strlen(BODY), 60, NOW, &why), 0);
	struct stat st;
	assert_int_equal(stat(f->cache, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	char *body = disk_cache_load(f->cache, getuid(), "discovery", URL, NOW + 59, &len, &why);
	assert_non_null(body);
	assert_string_equal(body, BODY);
	free(body);
	assert_null(disk_cache_load(f->cache, getuid(), "discovery", URL, NOW + 60, &len, &why));
	/* Another kind for the same URL is another entry. */
	assert_null(disk_cache_load(f->cache, getuid(), "jwks", URL, NOW, &len, &why));
}

static void test_uncacheable_response_is_not_stored(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	size_t len;
	assert_int_equal(disk_cache_store(f->cache, getuid(), "jwks", URL, BODY, strlen(BODY), 0, NOW, &why), -1);
	assert_null(disk_cache_load(f->cache, getuid(), "jwks", URL, NOW, &len, &why));
}

static void test_directory_of_another_owner_or_open_to_others_is_ignored(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	size_t len;
	assert_int_equal(disk_cache_store(f->cache, getuid(), "jwks", URL, BODY, strlen(BODY), 60, NOW, &why), 0);
	assert_null(disk_cache_load(f->cache, getuid() + 1, "jwks", URL, NOW, &len, &why));
	assert_int_equal(disk_cache_store(f->cache, getuid() + 1, "jwks", URL, BODY, strlen(BODY), 60, NOW, &why), -1);
	assert_int_equal(chmod(f->cache, 0750), 0);
	assert_null(disk_cache_load(f->cache, getuid(), "jwks", URL, NOW, &len, &why));
	assert_int_equal(disk_cache_store(f->cache, getuid(), "jwks", URL, BODY, strlen(BODY), 60, NOW, &why), -1);
}

static void test_symlinked_directory_is_ignored(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	size_t len;
	char real[128];
	snprintf(real, sizeof(real), "%s/real", f->dir);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, f->cache), 0);
	assert_int_equal(disk_cache_store(f->cache, getuid(), "jwks", URL, BODY, strlen(BODY), 60, NOW, &why), -1);
	assert_null(disk_cache_load(f->cache, getuid(), "jwks", URL, NOW, &len, &why));
}

static void test_entry_readable_by_others_is_ignored(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	size_t len;
	assert_int_equal(disk_cache_store(f->cache, getuid(), "jwks", URL, BODY, strlen(BODY), 60, NOW, &why), 0);
	char command[256];
	snprintf(command, sizeof(command), "chmod 0644 '%s'/*", f->cache);
	assert_int_equal(system(command), 0);
	assert_null(disk_cache_load(f->cache, getuid(), "jwks", URL, NOW, &len, &why));
}

static void test_store_replaces_an_entry_and_leaves_no_temporary_file(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	size_t len;
	assert_int_equal(disk_cache_store(f->cache, getuid(), "jwks", URL, "{\"old\":1}", 9, 60, NOW, &why), 0);
	assert_int_equal(disk_cache_store(f->cache, getuid(), "jwks", URL, BODY, strlen(BODY), 60, NOW, &why), 0);
	char *body = disk_cache_load(f->cache, getuid(), "jwks", URL, NOW, &len, &why);
	assert_string_equal(body, BODY);
	free(body);
	char command[256];
	snprintf(command, sizeof(command), "test $(ls -A '%s' | wc -l) -eq 1", f->cache);
	assert_int_equal(system(command), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_ttl_without_headers),
		cmocka_unit_test(test_max_age_sets_the_lifetime_but_never_past_the_default),
		cmocka_unit_test(test_no_store_no_cache_and_bad_max_age_forbid_caching),
		cmocka_unit_test(test_expires_sets_the_lifetime),
		cmocka_unit_test(test_entry_round_trips),
		cmocka_unit_test(test_entry_for_another_url_expired_or_malformed_is_refused),
		cmocka_unit_test_setup_teardown(test_store_then_load_hits_until_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uncacheable_response_is_not_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_of_another_owner_or_open_to_others_is_ignored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_directory_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_readable_by_others_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_replaces_an_entry_and_leaves_no_temporary_file, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
