/* The JSON reading of the transform: a validating pass over the whole body,
 * then look-ups on the validated text without building a tree.
 *
 * Why not jansson's json_loadb: it builds a tree with a hash table and a
 * copied key per object (the order and every item), and profiles of the
 * pools put it at about a third of a worker's CPU per request, more than the
 * HTTP exchange itself: the models' comparison measured our parser. This
 * reader accepts and rejects exactly what json_loadb (flags 0, jansson 2.14)
 * does, and gives the values json_object_get would (the last of duplicate
 * keys wins): RFC 8259 syntax, strict UTF-8 (no overlong forms, surrogates
 * or code points above U+10FFFF), no \u0000, paired \u surrogates, integers
 * that fit a long long, reals that do not overflow a double, nesting at most
 * 2048 deep, nothing but whitespace after the value. tests/unit's
 * test_workload checks it against jansson itself on orders and on every
 * one-byte mutation of one. */
#ifndef CONCBENCH_TRANSFORM_JSON_H
#define CONCBENCH_TRANSFORM_JSON_H

#include <stddef.h>

/* The text of one JSON value inside a validated document. */
typedef struct tj_span {
    const char *p, *end;
} tj_span_t;

/* Validates json (len bytes, need not be NUL-terminated) as json_loadb
 * would and sets *root to its value. Returns 0, or -1 if json_loadb would
 * fail. */
int tj_parse(const char *json, size_t len, tj_span_t *root);

/* The members keys[0..n-1] of object v in one pass: out[i] is the value
 * of the last member named keys[i], or has p == NULL when there is none.
 * Returns 0, or -1 when v is not an object. */
int tj_object_fields(tj_span_t v, const char *const *keys, int n, tj_span_t *out);

/* 0 and *out when v is an integer, else -1. */
int tj_integer(tj_span_t v, long long *out);

/* When v is a string: its decoded bytes, at most cap - 1 of them, into out
 * with a NUL, *len = its whole decoded length, returns 0. Else -1. */
int tj_string(tj_span_t v, char *out, size_t cap, size_t *len);

/* Array iteration: tj_array_begin returns -1 when v is not an array; then
 * tj_array_next returns 1 and the next element, or 0 at the end. */
typedef struct tj_iter {
    const char *p, *end;
} tj_iter_t;
int tj_array_begin(tj_span_t v, tj_iter_t *it);
int tj_array_next(tj_iter_t *it, tj_span_t *elem);

#endif
