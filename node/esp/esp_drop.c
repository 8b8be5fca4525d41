/* SPDX-License-Identifier: MIT */
/*
 * Drop reasons: labels and log wording. The first five messages are seed 004 §17 (Table 7)
 * word for word, so operators who know the seeds' platform find the lines they expect.
 */
#include "esp_drop.h"

static const struct {
	const char *name;
	const char *msg;
} esp_drop_tab[ESP_DROP__COUNT] = {
        [ESP_DROP_NONE] = {"none", "Accepted."},
        [ESP_DROP_AUTH_FAILED] = {"auth_failed",
                                  "Authentication failure. Possibly mis-matching keys."},
        [ESP_DROP_NO_SA] = {"no_sa", "No Inbound SA Found."},
        [ESP_DROP_REPLAY_LATE] = {"replay_late", "Late Packet falling out of window."},
        [ESP_DROP_REPLAY_DUP] = {"replay_duplicate", "Repeated/duplicate packet."},
        [ESP_DROP_MODE_MISMATCH] = {"mode_mismatch",
                                    "Encapsulation mode differs. Received in Transport mode, "
                                    "where expected in Tunnel mode."},
        [ESP_DROP_BAD_PADDING] = {"bad_padding", "Invalid ESP padding."},
        [ESP_DROP_MALFORMED] = {"malformed", "Malformed ESP packet."},
        [ESP_DROP_TS_MISMATCH] = {"ts_mismatch",
                                  "Inner packet does not match the SA's traffic selectors."},
        [ESP_DROP_DUMMY] = {"dummy", "Dummy packet discarded."},
        [ESP_DROP_LEASE_EXHAUSTED] = {"lease_exhausted",
                                      "Sequence-number lease exhausted; waiting for a grant."},
        [ESP_DROP_SEQ_OVERFLOW] = {"seq_overflow",
                                   "Sequence number space exhausted; the SA must be rekeyed."},
        [ESP_DROP_EXPIRED] = {"expired", "SA reached its hard lifetime."},
        [ESP_DROP_NO_ROOM] = {"no_room", "Packet buffer too small for ESP."},
        [ESP_DROP_INTERNAL] = {"internal", "Cryptographic library failure."},
};

const char *
esp_drop_name(enum esp_drop d)
{
	return (unsigned)d < ESP_DROP__COUNT ? esp_drop_tab[d].name : "unknown";
}

const char *
esp_drop_msg(enum esp_drop d)
{
	return (unsigned)d < ESP_DROP__COUNT ? esp_drop_tab[d].msg : "Unknown drop reason.";
}
