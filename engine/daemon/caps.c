/* The answer to CAPS: what this distccd can do beyond stock distcc 3.4. */
#include "job.h"

#include "base/dcc_exit.h"
#include "base/dcc_log.h"
#include "proto/dcc_caps.h"
#include "proto/dcc_toolchain.h"
#include "proto/dcc_version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !DCC_WITH_JSON
/* Built without jansson (WITH_JSON=0): no CAPS answer, so no client of ours
 * learns of a feature, and none is offered. */
unsigned dccd_features(const struct dccd_config *cfg)
{
    (void)cfg;
    return 0;
}

void dccd_caps_prepare(struct dccd_config *cfg)
{
    (void)cfg;
}

int dccd_answer_caps(struct job *j, uint32_t question_len)
{
    (void)question_len;
    snprintf(j->conn.err, sizeof j->conn.err,
             "CAPS is not answered by a distccd built without jansson (WITH_JSON=0)");
    return DCC_EXIT_PROTOCOL_ERROR;
}
#else
unsigned dccd_features(const struct dccd_config *cfg)
{
    return DCCD_FEATURES & ~(cfg->hcache ? 0u : DCC_FEAT_HCACHE) &
           ~(cfg->slot_fd >= 0 ? 0u : DCC_FEAT_LOAD);
}

void dccd_caps_prepare(struct dccd_config *cfg)
{
    if (cfg->toolchain_json || !cfg->whitelist_dir)
        return;
    struct dcc_buf body = {0};
    char err[512];
    /* Bounded tighter than /toolchain's: the daemon serves nobody meanwhile
     * (connections wait in the backlog). */
    struct dcc_toolchain_opts opts = {.whitelist_dir = cfg->whitelist_dir,
                                      .path = cfg->compiler_path,
                                      .probe_timeout_ms = 3000,
                                      .total_timeout_ms = 10000};
    int rc = dcc_toolchain_report_opts(&opts, &body, err, sizeof err);
    if (rc != 0 || !body.data) {
        /* Clients then learn nothing of the toolchain and judge it unknown. */
        dcc_warn("toolchain report for CAPS answers failed: %s", rc != 0 ? err : "out of memory");
        dcc_buf_free(&body);
        return;
    }
    cfg->toolchain_json = body.data; /* taken over */
}

/* The report made by dccd_caps_prepare, or made now (--inetd serves one
 * connection and forks nothing). NULL when there is none. Never made again
 * in the daemon when it failed at the start: the accept loop answers CAPS
 * itself, and would stop accepting for as long as the report takes (up to
 * 10 s) for every question. */
static json_t *toolchain_member(const struct dccd_config *cfg)
{
    char *made = NULL;
    const char *text = cfg->toolchain_json;
    if (!text && cfg->inetd) {
        struct dccd_config one = *cfg;
        one.toolchain_json = NULL;
        dccd_caps_prepare(&one);
        text = made = one.toolchain_json;
    }
    json_t *report = text ? json_loads(text, 0, NULL) : NULL;
    free(made);
    return json_is_object(report) ? report : (json_decref(report), NULL);
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
    json_t *doc = dcc_caps_build(&c);
    json_t *toolchain = doc ? toolchain_member(cfg) : NULL;
    if (toolchain) {
        json_object_set_new(doc, "toolchain", toolchain);
        /* A client reads at most DCC_CAPS_MAX_BODY: a whitelist too long
         * for that goes without its toolchain rather than unread. */
        char *body = json_dumps(doc, JSON_COMPACT);
        if (!body || strlen(body) > DCC_CAPS_MAX_BODY)
            json_object_del(doc, "toolchain");
        free(body);
    }
    return doc;
}

int dccd_answer_caps(struct job *j, uint32_t question_len)
{
    /* The question: a JSON object, read whole and checked. {"load":true}
     * asks only how busy this daemon is: a small answer from the tables
     * copied at the fork, without the toolchain. */
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
    int load = is_object && dcc_caps_asks_load(q) && j->cfg->load_known;
    json_decref(q);
    if (!is_object) {
        snprintf(j->conn.err, sizeof j->conn.err, "CAPS question is not a JSON object");
        return DCC_EXIT_PROTOCOL_ERROR;
    }
    j->caps_load = load;

    json_t *doc = load ? dcc_caps_load_build(&j->cfg->load) : dccd_caps_document(j->cfg);
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
#endif
