/* The answer to CAPS: what this distccd can do beyond stock distcc 3.4. */
#include "job.h"

#include "base/dcc_exit.h"
#include "proto/dcc_caps.h"
#include "proto/dcc_version.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

unsigned dccd_features(const struct dccd_config *cfg)
{
    return DCCD_FEATURES & ~(cfg->hcache ? 0u : DCC_FEAT_HCACHE);
}

json_t *dccd_caps_document(const struct dccd_config *cfg)
{
    struct dcc_caps c = {.caps_version = DCC_CAPS_VERSION,
                         .protocols = (1u << 1) | (1u << 2) | (1u << 3),
                         .features = dccd_features(cfg),
                         .jobs = cfg->jobs};
    char text[1024];
    dcc_version_text("distccd", text, sizeof text);
    text[strcspn(text, "\n")] = '\0';
    snprintf(c.server, sizeof c.server, "%.127s", text);
    return dcc_caps_build(&c);
}

int dccd_answer_caps(struct job *j, uint32_t question_len)
{
    /* The question: a JSON object, read whole and checked, though nothing
     * in it changes the answer yet. */
    char question[DCC_CAPS_MAX_QUESTION];
    if (question_len == 0 || question_len > sizeof question) {
        snprintf(j->conn.err, sizeof j->conn.err, "CAPS question of %u bytes", question_len);
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    int rc = dcc_wire_read(&j->conn, question, question_len);
    if (rc)
        return rc;
    json_t *q = json_loadb(question, question_len, 0, NULL);
    int is_object = json_is_object(q);
    json_decref(q);
    if (!is_object) {
        snprintf(j->conn.err, sizeof j->conn.err, "CAPS question is not a JSON object");
        return DCC_EXIT_PROTOCOL_ERROR;
    }

    json_t *doc = dccd_caps_document(j->cfg);
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!body) {
        snprintf(j->conn.err, sizeof j->conn.err, "out of memory");
        return DCC_EXIT_OUT_OF_MEMORY;
    }
    size_t len = strlen(body);
    rc = dcc_wire_write_token(&j->conn, DCC_TOK_CAPS, (uint32_t)len);
    if (rc == 0)
        rc = dcc_wire_write(&j->conn, body, len);
    free(body);
    return rc;
}
