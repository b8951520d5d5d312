// libzmq for Swift. The integer constants are plain #defines Swift imports as Int32;
// the few function-like macros it cannot import get static inline wrappers here.
#ifndef TTCG_CZEROMQ_SHIM_H
#define TTCG_CZEROMQ_SHIM_H
#include <zmq.h>

/// ZMQ_VERSION as one number, e.g. 40304 for 4.3.4.
static inline int ttcg_zmq_header_version(void) { return ZMQ_VERSION; }

#endif
