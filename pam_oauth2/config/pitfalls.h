/* What pam_oauth2-check warns about in a configuration that loads: choices that work but
 * are weak, and the known pitfalls of the IdP it recognises from its issuer or endpoints
 * (Entra's common issuer, Google without a secret, GitHub's renameable login, Auth0's
 * audience field). Warnings, never failures: the module itself does not look at them. */
#ifndef PAM_OAUTH2_CONFIG_PITFALLS_H
#define PAM_OAUTH2_CONFIG_PITFALLS_H

#include "config/oauth2_config.h"

/* Called once per warning: a short topic and one line of advice. */
typedef void (*config_pitfall_report)(void *data, const char *topic, const char *advice);

/* Reports every pitfall of CONFIG; returns how many. */
unsigned config_pitfalls(const struct oauth2_config *config, config_pitfall_report report, void *data);

#endif
