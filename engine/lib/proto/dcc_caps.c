/* What one of our helpers can do beyond stock distcc 3.4: the CAPS question
 * and its JSON answer, and the feature bits a request carries in DIST. */
#include "proto/dcc_caps.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct {
    unsigned bit;
    const char *name;
} features[] = {
    {DCC_FEAT_ZSTD, "zstd"},
    {DCC_FEAT_HCACHE, "hcache"},
    {DCC_FEAT_DIRECTIVES, "directives"},
    {DCC_FEAT_LOAD, "load"},
};

#define NFEATURES (sizeof features / sizeof features[0])

uint32_t dcc_caps_dist_value(uint32_t protover, unsigned feats)
{
    return (protover & 0xffu) | ((uint32_t)(feats & DCC_FEAT_ALL) << 8);
}

int dcc_caps_dist_split(uint32_t value, uint32_t *protover, unsigned *feats)
{
    uint32_t p = value & 0xffu;
    uint32_t f = value >> 8;
    if (p < 1 || p > 3 || (f & ~(uint32_t)DCC_FEAT_ALL))
        return -1;
    *protover = p;
    *feats = (unsigned)f;
    return 0;
}

const char *dcc_caps_feature_name(unsigned feature)
{
    for (size_t i = 0; i < NFEATURES; i++)
        if (features[i].bit == feature)
            return features[i].name;
    return NULL;
}

void dcc_caps_feature_list(unsigned feats, char *buf, size_t len)
{
    size_t at = 0;
    if (len)
        buf[0] = '\0';
    for (size_t i = 0; i < NFEATURES && len; i++) {
        if (!(feats & features[i].bit))
            continue;
        int n = snprintf(buf + at, len - at, "%s%s", at ? " " : "", features[i].name);
        if (n < 0 || (size_t)n >= len - at) {
            buf[at] = '\0'; /* only whole names */
            break;
        }
        at += (size_t)n;
    }
}

#if DCC_WITH_JSON
char *dcc_caps_question(void)
{
    json_t *q = json_pack("{s:i}", "caps", (int)DCC_CAPS_VERSION);
    char *text = q ? json_dumps(q, JSON_COMPACT) : NULL;
    json_decref(q);
    return text;
}

json_t *dcc_caps_build(const struct dcc_caps *c)
{
    json_t *protocols = json_array();
    json_t *feats = json_array();
    for (unsigned p = 1; p <= 3 && protocols; p++)
        if (c->protocols & (1u << p))
            json_array_append_new(protocols, json_integer(p));
    for (size_t i = 0; i < NFEATURES && feats; i++)
        if (c->features & features[i].bit)
            json_array_append_new(feats, json_string(features[i].name));
    json_t *doc = json_pack("{s:i, s:s, s:o*, s:o*, s:i}", "caps", (int)c->caps_version, "server",
                            c->server, "protocols", protocols, "features", feats, "jobs", c->jobs);
    return doc;
}

int dcc_caps_parse(const json_t *doc, struct dcc_caps *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "the answer is not a JSON object");
        return -1;
    }
    json_t *v = json_object_get(doc, "caps");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000) {
        snprintf(err, errlen, "\"caps\" is missing or not a version number");
        return -1;
    }
    c->caps_version = (unsigned)json_integer_value(v);
    v = json_object_get(doc, "server");
    if (v && !json_is_string(v)) {
        snprintf(err, errlen, "\"server\" is not a string");
        return -1;
    }
    if (v)
        snprintf(c->server, sizeof c->server, "%s", json_string_value(v));
    v = json_object_get(doc, "protocols");
    if (v && !json_is_array(v)) {
        snprintf(err, errlen, "\"protocols\" is not a list");
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (json_is_integer(e) && json_integer_value(e) >= 1 && json_integer_value(e) <= 3)
            c->protocols |= 1u << json_integer_value(e);
    }
    v = json_object_get(doc, "features");
    if (v && !json_is_array(v)) {
        snprintf(err, errlen, "\"features\" is not a list");
        return -1;
    }
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            continue;
        for (size_t k = 0; k < NFEATURES; k++)
            if (strcmp(json_string_value(e), features[k].name) == 0)
                c->features |= features[k].bit;
    }
    v = json_object_get(doc, "jobs");
    if (v &&
        (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)) {
        snprintf(err, errlen, "\"jobs\" is not a number of slots");
        return -1;
    }
    if (v)
        c->jobs = (int)json_integer_value(v);
    return 0;
}

char *dcc_caps_load_question(void)
{
    json_t *q = json_pack("{s:i, s:b}", "caps", (int)DCC_CAPS_VERSION, "load", 1);
    char *text = q ? json_dumps(q, JSON_COMPACT) : NULL;
    json_decref(q);
    return text;
}

int dcc_caps_asks_load(const json_t *q)
{
    return json_is_true(json_object_get(q, "load"));
}

json_t *dcc_caps_load_build(const struct dcc_caps_load *l)
{
    return json_pack("{s:i, s:{s:i, s:i, s:i, s:i}}", "caps", (int)DCC_CAPS_VERSION, "load", "jobs",
                     l->jobs, "running", l->running, "waiting", l->waiting, "others", l->others);
}

/* The counts of the load member, one table and one loop. */
static const struct {
    const char *name;
    size_t offset;
} load_counts[] = {
    {"jobs", offsetof(struct dcc_caps_load, jobs)},
    {"running", offsetof(struct dcc_caps_load, running)},
    {"waiting", offsetof(struct dcc_caps_load, waiting)},
    {"others", offsetof(struct dcc_caps_load, others)},
};

int dcc_caps_load_parse(const json_t *doc, struct dcc_caps_load *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    json_t *load = json_object_get(doc, "load");
    if (!json_is_object(load)) {
        snprintf(err, errlen, "the answer has no \"load\" object");
        return -1;
    }
    for (size_t i = 0; i < sizeof load_counts / sizeof load_counts[0]; i++) {
        json_t *v = json_object_get(load, load_counts[i].name);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > DCC_CAPS_LOAD_MAX) {
            snprintf(err, errlen, "\"load\": \"%s\" is missing or not a count",
                     load_counts[i].name);
            memset(l, 0, sizeof *l);
            return -1;
        }
        *(int *)((char *)l + load_counts[i].offset) = (int)json_integer_value(v);
    }
    if (l->jobs == 0) {
        snprintf(err, errlen, "\"load\": a helper of 0 jobs");
        memset(l, 0, sizeof *l);
        return -1;
    }
    return 0;
}
#endif
