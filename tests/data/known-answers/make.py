#!/usr/bin/env python3
"""Known answers for the workload, computed from its written definition
(docs/workload.md) without any of concbench's C code: the order generator
(splitmix64 draws), the order's JSON, and the transform's totals and digest.

The C generator, transform and verifier are tested against the table this
prints, so a bug in any of them cannot be verified as correct by the same
bug. Regenerate with:

    python3 tests/data/known-answers/make.py > tests/data/known-answers/vectors.tsv

Columns: seed, id, items, cost, customer, currency, item_count,
total_cents, digest (hex SHA-256 after `cost` chained rounds), and the
SHA-256 of the JSON body mockapi must serve.
"""
import datetime
import hashlib

MASK = (1 << 64) - 1
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF", "SEK"]


def mix64(x):
    """splitmix64's finaliser after its increment."""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def order(seed, oid, n_items):
    n_items = max(1, min(1000, n_items))
    s = mix64(seed ^ mix64(oid))
    s = mix64(s)
    customer = "cust-%06d" % (s % 1000000)
    s = mix64(s)
    currency = CURRENCIES[s % len(CURRENCIES)]
    s = mix64(s)
    created = 1704067200 + s % (2 * 365 * 86400)
    s = mix64(s)
    updated = created + s % 86400
    items = []
    for _ in range(n_items):
        s = mix64(s)
        sku = "SKU-%05d" % (s % 100000)
        s = mix64(s)
        qty = 1 + s % 9
        s = mix64(s)
        price = 99 + s % 99900
        items.append((sku, qty, price))
    return customer, currency, created, updated, items


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def body(oid, o):
    customer, currency, created, updated, items = o
    its = ",".join('{"sku":"%s","qty":%d,"price_cents":%d}' % it for it in items)
    return ('{"id":%d,"customer":"%s","currency":"%s","created_at":"%s","updated_at":"%s",'
            '"items":[%s]}' % (oid, customer, currency, iso(created), iso(updated), its))


def transform(oid, o, cost):
    customer, currency, _, _, items = o
    canon = "%d|%s|%s|" % (oid, customer, currency)
    canon += "".join("%s:%d:%d;" % it for it in items)
    canon = canon.encode()
    md = hashlib.sha256(canon).digest()
    for _ in range(1, cost):
        md = hashlib.sha256(md + canon).digest()
    total = sum(q * p for _, q, p in items)
    return len(items), total, md.hex()


def main():
    cases = [(42, i, 10, 1) for i in range(1, 21)]
    cases += [(42, i, 10, 3) for i in (1, 2, 9999, 10000)]
    cases += [(42, 7, 1, 1), (42, 7, 100, 1), (42, 123456789, 10, 1)]
    cases += [(1, 1, 2, 1), (0, 5, 10, 1), (18446744073709551615, 3, 4, 2)]
    print("# seed\tid\titems\tcost\tcustomer\tcurrency\titem_count\ttotal_cents\tdigest\tbody_sha256")
    for seed, oid, n, cost in cases:
        o = order(seed, oid, n)
        count, total, digest = transform(oid, o, cost)
        b = hashlib.sha256(body(oid, o).encode()).hexdigest()
        print("\t".join(str(v) for v in (seed, oid, n, cost, o[0], o[1], count, total, digest, b)))


if __name__ == "__main__":
    main()
