// CRC-32C with the CPU's instruction where there is one (SSE 4.2 on x86-64).
#ifndef TTCG_CRC32C_H
#define TTCG_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU computes CRC-32C in hardware and `ttcg_crc32c` may be called.
int ttcg_crc32c_hardware(void);

/// The CRC-32C of `count` bytes, continuing `crc` (0 to start); the same conventions as
/// the Swift `CRC32C.checksum` (initial value and final xor 0xFFFFFFFF).
uint32_t ttcg_crc32c(uint32_t crc, const void *bytes, size_t count);

#endif
