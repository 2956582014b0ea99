// The C interface between the JNI loader (saim_gloo_jni.cc) and the Gloo side (saim_gloo.cc).
// The loader finds these functions with dlsym after opening libsaim_gloo.so with
// RTLD_LOCAL | RTLD_DEEPBIND, so the Gloo symbols they use resolve to Debian's libgloo.so and
// never to the copy of Gloo that PyTorch's libtorch_cpu.so exports into the process.
//
// Every function returns 0 on success. On failure it returns -1 and fills err (a NUL-terminated
// message of at most errlen bytes), *peer with the rank the failure came from (-1 when Gloo did
// not say) and *timeout with 1 when the failure was a time-out.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define SG_API __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_status {
  char* err;
  int errlen;
  int peer;
  int timeout;
} sg_status;

// store: "file" (arg: a folder) or "redis" (arg: "HOST/RUN", and port). host: the address this rank
// listens on ("" for the machine's host name).
SG_API void* sg_connect(const char* store, const char* arg, int port, int rank, int size, const char* host,
                 long long timeout_ms, sg_status* st);
// A key-value store provided by the caller (the JNI side, over a Java object): set stores a value;
// get waits up to timeout_ms for the key and returns its value in *data (malloc'ed, freed by the
// callee) and *len. Both return 0, or -1 with a message in err (errlen bytes).
typedef struct sg_store {
  void* user;
  int (*set)(void* user, const char* key, const char* data, size_t len, char* err, int errlen);
  int (*get)(void* user, const char* key, long long timeout_ms, char** data, size_t* len, char* err, int errlen);
} sg_store;

// As sg_connect, through a caller-provided store (called from this thread only, during the call).
SG_API void* sg_connect_store(const sg_store* store, int rank, int size, const char* host, long long timeout_ms,
                              sg_status* st);
SG_API int sg_allreduce_f32(void* ctx, float* buf, size_t n, long long timeout_ms, sg_status* st);
SG_API int sg_allreduce_bf16(void* ctx, uint16_t* buf, size_t n, long long timeout_ms, sg_status* st);
SG_API int sg_broadcast(void* ctx, void* buf, size_t bytes, int root, long long timeout_ms, sg_status* st);
SG_API int sg_barrier(void* ctx, long long timeout_ms, sg_status* st);
SG_API void sg_close(void* ctx);

#ifdef __cplusplus
}
#endif
