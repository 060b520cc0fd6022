#include "config.h"

#include "jose/jwt_claims.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* A NumericDate (RFC 7519 §2): integer or fraction; false when absent or not a number. */
static bool numeric_date(struct json_object *claims, const char *name, int64_t *value, bool *present)
{
	struct json_object *field;
	*present = json_object_object_get_ex(claims, name, &field);
	if (!*present)
		return true;
	if (json_object_is_type(field, json_type_int)) {
		*value = json_object_get_int64(field);
		return true;
	}
	if (json_object_is_type(field, json_type_double)) {
		double number = json_object_get_double(field);
		if (!(number > -1e15 && number < 1e15))
			return false;
		*value = (int64_t)number;
		return true;
	}
	return false;
}

const char *jwt_string_claim(const struct jws *jws, const char *name)
{
	struct json_object *field;
	if (!json_object_object_get_ex(jws->payload, name, &field) || !json_object_is_type(field, json_type_string))
		return NULL;
	const char *text = json_object_get_string(field);
	/* A NUL inside would let "alice\0evil" pass as "alice". */
	return strlen(text) == (size_t)json_object_get_string_len(field) ? text : NULL;
}

/* Exact comparison that a NUL inside the JSON string cannot cut short. */
static bool string_is(struct json_object *value, const char *text)
{
	return json_object_is_type(value, json_type_string) &&
	       (size_t)json_object_get_string_len(value) == strlen(text) &&
	       memcmp(json_object_get_string(value), text, strlen(text)) == 0;
}

static bool audience_contains(struct json_object *claims, const char *audience, size_t *count)
{
	struct json_object *aud;
	*count = 0;
	if (!json_object_object_get_ex(claims, "aud", &aud))
		return false;
	if (json_object_is_type(aud, json_type_string)) {
		*count = 1;
		return string_is(aud, audience);
	}
	if (!json_object_is_type(aud, json_type_array))
		return false;
	*count = json_object_array_length(aud);
	bool found = false;
	for (size_t i = 0; i < *count; i++) {
		if (string_is(json_object_array_get_idx(aud, i), audience))
			found = true;
	}
	return found;
}

/* RFC 9068 §4: "at+jwt", also as "application/at+jwt"; media types ignore case. */
static bool typ_matches(const char *typ, const char *expected)
{
	if (typ == NULL)
		return false;
	if (strncasecmp(typ, "application/", 12) == 0)
		typ += 12;
	return strcasecmp(typ, expected) == 0;
}

int jwt_check_claims(const struct jws *jws, const struct jwt_rules *rules, const char **why)
{
	struct json_object *claims = jws->payload;
	/* Without an issuer and an audience to check there is nothing to trust the token for. */
	if (rules->issuer == NULL || rules->audience == NULL) {
		*why = "no issuer or audience to check the token against";
		return -1;
	}
	if (rules->typ != NULL && !typ_matches(jws->typ, rules->typ)) {
		*why = "wrong typ";
		return -1;
	}
	/* An access token presented as an ID token (token confusion) is refused by its typ. */
	if (rules->refused_typ != NULL && typ_matches(jws->typ, rules->refused_typ)) {
		*why = "wrong typ";
		return -1;
	}
	const char *issuer = jwt_string_claim(jws, "iss");
	if (issuer == NULL || strcmp(issuer, rules->issuer) != 0) {
		*why = "wrong or missing iss";
		return -1;
	}
	size_t audiences;
	if (!audience_contains(claims, rules->audience, &audiences)) {
		*why = "aud does not name us";
		return -1;
	}
	if (rules->authorized_party != NULL) {
		struct json_object *field;
		bool has_azp = json_object_object_get_ex(claims, "azp", &field);
		const char *azp = jwt_string_claim(jws, "azp");
		/* OIDC Core §3.1.3.7: with several audiences, azp must be there and be us. */
		if ((has_azp && (azp == NULL || strcmp(azp, rules->authorized_party) != 0)) ||
		    (!has_azp && audiences > 1)) {
			*why = "wrong or missing azp";
			return -1;
		}
	}
	int64_t exp = 0, nbf = 0, iat = 0;
	bool has_exp, has_nbf, has_iat;
	if (!numeric_date(claims, "exp", &exp, &has_exp) || !numeric_date(claims, "nbf", &nbf, &has_nbf) ||
	    !numeric_date(claims, "iat", &iat, &has_iat)) {
		*why = "exp, nbf or iat is not a number";
		return -1;
	}
	/* Compared against now +/- leeway (our own small values): the token's numbers may be
	 * anywhere in int64 range, and adding to them could overflow. */
	if (rules->require_iat && !has_iat) {
		*why = "no iat";
		return -1;
	}
	if (!has_exp || exp <= rules->now - rules->leeway) {
		*why = "expired or no exp";
		return -1;
	}
	if ((has_nbf && nbf > rules->now + rules->leeway) || (has_iat && iat > rules->now + rules->leeway)) {
		*why = "not yet valid (nbf or iat in the future)";
		return -1;
	}
	return 0;
}
