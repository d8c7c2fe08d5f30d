/* proto.h — the tiny wire protocol between bclient and bserver (bench only).
 *
 * A connection carries a sequence of operations; each starts with a 24-byte header from the
 * client. No half-close is ever needed, so every transport (socket files, relays, FUSE files)
 * can carry it.
 *   OP_UP   : client sends `count` bytes; server answers one byte once it has them all.
 *   OP_DOWN : server sends `count` bytes (in `msg`-byte writes); client reads them all.
 *   OP_PING : `count` times: client sends `msg` bytes, server echoes them.
 * EOF at a header boundary ends the connection.
 */
#ifndef BENCH_PROTO_H
#define BENCH_PROTO_H
#include <stdint.h>

#define BENCH_MAGIC 0x4e4e5342u /* "BSNN" */
enum { OP_UP = 1, OP_DOWN = 2, OP_PING = 3 };

struct bench_hdr {
    uint32_t magic;
    uint32_t op;
    uint32_t msg;   /* message/write size */
    uint32_t pad;
    uint64_t count; /* bytes (UP/DOWN) or round trips (PING) */
};

#define BENCH_MAX_MSG (1u << 20) /* largest write/read size */
#endif
