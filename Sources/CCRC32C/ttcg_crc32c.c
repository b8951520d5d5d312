// CRC-32C with the SSE 4.2 crc32 instruction: about 5x the software slicing-by-8 in
// Sources/Engine/CRC32.swift, which stays the fallback (other CPUs) and the reference the
// tests compare this with. The journal checksums every result record, so this is on the
// coordinator's data path (docs/journal.md).

#include "ttcg_crc32c.h"
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int ttcg_crc32c_hardware(void) {
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t ttcg_crc32c(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    uint64_t c = (uint32_t)~crc;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        count -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (count > 0) {
        c32 = _mm_crc32_u8(c32, *p++);
        count--;
    }
    return ~c32;
}

#else

int ttcg_crc32c_hardware(void) { return 0; }

uint32_t ttcg_crc32c(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes;
    (void)count;
    return crc;   // never called: ttcg_crc32c_hardware() is 0
}

#endif
