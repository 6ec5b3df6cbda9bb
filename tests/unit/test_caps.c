/* Unit tests for dcc_caps: the DIST value's feature bits, the CAPS document both ways. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto/dcc_caps.h"

/* A request without features is exactly stock's DIST value. */
static void test_dist_value_without_features_is_stock(void **state)
{
    (void)state;
    for (uint32_t p = 1; p <= 3; p++)
        assert_int_equal(dcc_caps_dist_value(p, 0), p);
    assert_int_equal(dcc_caps_dist_value(2, DCC_FEAT_ZSTD), 0x102);
    assert_int_equal(dcc_caps_dist_value(3, DCC_FEAT_ZSTD | DCC_FEAT_HCACHE), 0x303);
}

static void test_dist_split_round_trips(void **state)
{
    (void)state;
    for (uint32_t p = 1; p <= 3; p++)
        for (unsigned f = 0; f <= DCC_FEAT_ALL; f++) {
            uint32_t pv = 0;
            unsigned fv = 99;
            assert_int_equal(dcc_caps_dist_split(dcc_caps_dist_value(p, f), &pv, &fv), 0);
            assert_int_equal(pv, p);
            assert_int_equal(fv, f);
        }
}

/* Unknown feature bits and protocol bytes outside 1-3 are refused. */
static void test_dist_split_refuses_unknown(void **state)
{
    (void)state;
    uint32_t pv;
    unsigned fv;
    assert_int_equal(dcc_caps_dist_split(0, &pv, &fv), -1);
    assert_int_equal(dcc_caps_dist_split(4, &pv, &fv), -1);
    assert_int_equal(dcc_caps_dist_split(0x8001, &pv, &fv), -1);
    assert_int_equal(dcc_caps_dist_split(0xffffffffu, &pv, &fv), -1);
    assert_int_equal(dcc_caps_dist_split(((DCC_FEAT_ALL + 1u) << 8) | 2u, &pv, &fv), -1);
}

static void test_feature_names(void **state)
{
    (void)state;
    assert_string_equal(dcc_caps_feature_name(DCC_FEAT_ZSTD), "zstd");
    assert_string_equal(dcc_caps_feature_name(DCC_FEAT_HCACHE), "hcache");
    assert_string_equal(dcc_caps_feature_name(DCC_FEAT_DIRECTIVES), "directives");
    assert_null(dcc_caps_feature_name(DCC_FEAT_ZSTD | DCC_FEAT_HCACHE));
    assert_null(dcc_caps_feature_name(0));
    char buf[64];
    dcc_caps_feature_list(0, buf, sizeof buf);
    assert_string_equal(buf, "");
    dcc_caps_feature_list(DCC_FEAT_ALL, buf, sizeof buf);
    assert_string_equal(buf, "zstd hcache directives");
    dcc_caps_feature_list(DCC_FEAT_ALL, buf, 8); /* only what fits whole */
    assert_string_equal(buf, "zstd");
}

static void test_document_round_trips(void **state)
{
    (void)state;
    struct dcc_caps c = {.caps_version = 1,
                         .protocols = (1u << 1) | (1u << 3),
                         .features = DCC_FEAT_HCACHE,
                         .jobs = 12};
    strcpy(c.server, "distccd 0.1.0 x86_64-linux-gnu");
    json_t *doc = dcc_caps_build(&c);
    assert_non_null(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_string_equal(text, "{\"caps\":1,\"server\":\"distccd 0.1.0 x86_64-linux-gnu\","
                              "\"protocols\":[1,3],\"features\":[\"hcache\"],\"jobs\":12}");
    free(text);
    struct dcc_caps back;
    char err[200];
    assert_int_equal(dcc_caps_parse(doc, &back, err, sizeof err), 0);
    assert_memory_equal(&back, &c, sizeof c);
    json_decref(doc);
}

/* A newer helper's members and features are ignored, not errors. */
static void test_parse_ignores_what_it_does_not_know(void **state)
{
    (void)state;
    json_t *doc = json_loads("{\"caps\":7,\"features\":[\"zstd\",\"teleport\",3],"
                             "\"protocols\":[2,9,\"x\"],\"toolchain\":{}}",
                             0, NULL);
    struct dcc_caps c;
    char err[200];
    assert_int_equal(dcc_caps_parse(doc, &c, err, sizeof err), 0);
    assert_int_equal(c.caps_version, 7);
    assert_int_equal(c.features, DCC_FEAT_ZSTD);
    assert_int_equal(c.protocols, 1u << 2);
    assert_int_equal(c.jobs, 0);
    assert_string_equal(c.server, "");
    json_decref(doc);
}

static void expect_bad(const char *text, const char *why)
{
    json_t *doc = json_loads(text, JSON_DECODE_ANY, NULL);
    struct dcc_caps c;
    char err[200] = "";
    assert_int_equal(dcc_caps_parse(doc, &c, err, sizeof err), -1);
    assert_string_equal(err, why);
    json_decref(doc);
}

static void test_parse_refuses_wrong_types(void **state)
{
    (void)state;
    expect_bad("[1]", "the answer is not a JSON object");
    expect_bad("{}", "\"caps\" is missing or not a version number");
    expect_bad("{\"caps\":0}", "\"caps\" is missing or not a version number");
    expect_bad("{\"caps\":\"1\"}", "\"caps\" is missing or not a version number");
    expect_bad("{\"caps\":1,\"server\":5}", "\"server\" is not a string");
    expect_bad("{\"caps\":1,\"features\":\"zstd\"}", "\"features\" is not a list");
    expect_bad("{\"caps\":1,\"protocols\":{}}", "\"protocols\" is not a list");
    expect_bad("{\"caps\":1,\"jobs\":-1}", "\"jobs\" is not a number of slots");
    expect_bad("{\"caps\":1,\"jobs\":1.5}", "\"jobs\" is not a number of slots");
}

/* A long server line is cut to the field, never past it. */
static void test_parse_cuts_long_server(void **state)
{
    (void)state;
    char text[600];
    char name[400];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    snprintf(text, sizeof text, "{\"caps\":1,\"server\":\"%s\"}", name);
    json_t *doc = json_loads(text, 0, NULL);
    struct dcc_caps c;
    char err[200];
    assert_int_equal(dcc_caps_parse(doc, &c, err, sizeof err), 0);
    assert_int_equal(strlen(c.server), sizeof c.server - 1);
    json_decref(doc);
}

static void test_question_is_a_small_object(void **state)
{
    (void)state;
    char *q = dcc_caps_question();
    assert_string_equal(q, "{\"caps\":1}");
    assert_true(strlen(q) <= DCC_CAPS_MAX_QUESTION);
    free(q);
}

/* The load question and its answer: only helpers that list "load" are
 * asked, and the bit is never a request's. */
static void test_load_feature_is_named_but_never_in_dist(void **state)
{
    (void)state;
    assert_string_equal(dcc_caps_feature_name(DCC_FEAT_LOAD), "load");
    uint32_t pv;
    unsigned fv;
    assert_int_equal(dcc_caps_dist_split((DCC_FEAT_LOAD << 8) | 2u, &pv, &fv), -1);
    assert_int_equal(dcc_caps_dist_value(2, DCC_FEAT_LOAD), 2);
    json_t *doc = json_loads("{\"caps\":1,\"features\":[\"zstd\",\"load\"]}", 0, NULL);
    struct dcc_caps c;
    char err[200];
    assert_int_equal(dcc_caps_parse(doc, &c, err, sizeof err), 0);
    assert_int_equal(c.features, DCC_FEAT_ZSTD | DCC_FEAT_LOAD);
    json_decref(doc);
}

static void test_load_question_and_answer_round_trip(void **state)
{
    (void)state;
    char *q = dcc_caps_load_question();
    assert_string_equal(q, "{\"caps\":1,\"load\":true}");
    json_t *qd = json_loads(q, 0, NULL);
    assert_int_equal(dcc_caps_asks_load(qd), 1);
    json_decref(qd);
    free(q);
    qd = json_loads("{\"caps\":1,\"load\":1}", 0, NULL); /* true only */
    assert_int_equal(dcc_caps_asks_load(qd), 0);
    json_decref(qd);
    assert_int_equal(dcc_caps_asks_load(NULL), 0);

    struct dcc_caps_load l = {.jobs = 4, .running = 3, .waiting = 2, .others = 5}, back;
    json_t *doc = dcc_caps_load_build(&l);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"caps\":1,\"load\":{\"jobs\":4,\"others\":5,\"running\":3,"
                              "\"waiting\":2}}");
    free(text);
    char err[200];
    assert_int_equal(dcc_caps_load_parse(doc, &back, err, sizeof err), 0);
    assert_memory_equal(&l, &back, sizeof l);
    json_decref(doc);
}

static void expect_bad_load(const char *text, const char *why)
{
    json_t *doc = json_loads(text, 0, NULL);
    struct dcc_caps_load l = {.jobs = 9};
    char err[200] = "";
    assert_int_equal(dcc_caps_load_parse(doc, &l, err, sizeof err), -1);
    assert_string_equal(err, why);
    assert_int_equal(l.jobs, 0); /* nothing half read */
    json_decref(doc);
}

/* A helper that lies or answers garbage gets no load: the client then
 * picks as stock does. */
static void test_load_parse_refuses_garbage(void **state)
{
    (void)state;
    expect_bad_load("{\"caps\":1}", "the answer has no \"load\" object");
    expect_bad_load("[1,2]", "the answer has no \"load\" object");
    expect_bad_load("{\"caps\":1,\"load\":[4,0,0,0]}", "the answer has no \"load\" object");
    expect_bad_load("{\"load\":{\"jobs\":4,\"running\":0,\"waiting\":0}}",
                    "\"load\": \"others\" is missing or not a count");
    expect_bad_load("{\"load\":{\"jobs\":4,\"running\":-1,\"waiting\":0,\"others\":0}}",
                    "\"load\": \"running\" is missing or not a count");
    expect_bad_load("{\"load\":{\"jobs\":\"4\",\"running\":0,\"waiting\":0,\"others\":0}}",
                    "\"load\": \"jobs\" is missing or not a count");
    expect_bad_load("{\"load\":{\"jobs\":4,\"running\":0,\"waiting\":1.5,\"others\":0}}",
                    "\"load\": \"waiting\" is missing or not a count");
    expect_bad_load("{\"load\":{\"jobs\":4,\"running\":0,\"waiting\":0,\"others\":99999999999}}",
                    "\"load\": \"others\" is missing or not a count");
    expect_bad_load("{\"load\":{\"jobs\":0,\"running\":0,\"waiting\":0,\"others\":0}}",
                    "\"load\": a helper of 0 jobs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_value_without_features_is_stock),
        cmocka_unit_test(test_dist_split_round_trips),
        cmocka_unit_test(test_dist_split_refuses_unknown),
        cmocka_unit_test(test_feature_names),
        cmocka_unit_test(test_document_round_trips),
        cmocka_unit_test(test_parse_ignores_what_it_does_not_know),
        cmocka_unit_test(test_parse_refuses_wrong_types),
        cmocka_unit_test(test_parse_cuts_long_server),
        cmocka_unit_test(test_question_is_a_small_object),
        cmocka_unit_test(test_load_feature_is_named_but_never_in_dist),
        cmocka_unit_test(test_load_question_and_answer_round_trip),
        cmocka_unit_test(test_load_parse_refuses_garbage),
    };
    return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
