// The JNI loader: the only library Java loads (System.load). It links no Gloo itself; it opens
// libsaim_gloo.so with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND), so that library and its
// libgloo.so look symbols up in their own scope before the global one. PyTorch's libtorch_cpu.so
// exports its own, newer build of Gloo (about 600 symbols, other struct layouts); without
// DEEPBIND, a libgloo.so function could bind to torch's copy of a Gloo function it calls.
#include <dlfcn.h>
#include <jni.h>

#include <cstring>
#include <string>

#include "saim_gloo.h"

namespace {

void* (*p_connect)(const char*, const char*, int, int, int, const char*, long long, sg_status*);
int (*p_allreduce_f32)(void*, float*, size_t, long long, sg_status*);
int (*p_allreduce_bf16)(void*, uint16_t*, size_t, long long, sg_status*);
int (*p_broadcast)(void*, void*, size_t, int, long long, sg_status*);
int (*p_barrier)(void*, long long, sg_status*);
void (*p_close)(void*);

constexpr int kErrLen = 2048;

struct Status {
  char text[kErrLen];
  sg_status st;
  Status() {
    text[0] = '\0';
    st.err = text;
    st.errlen = kErrLen;
    st.peer = -1;
    st.timeout = 0;
  }
};

// failure: int[2] receiving {peer, timeout}; returns the message as a Java string
jstring report(JNIEnv* env, Status& s, jintArray failure) {
  jint v[2] = {s.st.peer, s.st.timeout};
  env->SetIntArrayRegion(failure, 0, 2, v);
  return env->NewStringUTF(s.text);
}

std::string utf(JNIEnv* env, jstring s) {
  if (s == nullptr) {
    return std::string();
  }
  const char* c = env->GetStringUTFChars(s, nullptr);
  std::string r(c);
  env->ReleaseStringUTFChars(s, c);
  return r;
}

template <typename T>
bool sym(void* lib, const char* name, T* out, std::string* err) {
  void* p = dlsym(lib, name);
  if (p == nullptr) {
    *err = std::string("symbol ") + name + " missing: " + dlerror();
    return false;
  }
  *out = reinterpret_cast<T>(p);
  return true;
}

}  // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_io_github_saimjava_distributed_NativeGloo_open(JNIEnv* env, jclass, jstring path) {
  std::string p = utf(env, path);
  void* lib = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (lib == nullptr) {
    const char* e = dlerror();
    return env->NewStringUTF(e != nullptr ? e : "dlopen failed");
  }
  std::string err;
  if (!sym(lib, "sg_connect", &p_connect, &err) || !sym(lib, "sg_allreduce_f32", &p_allreduce_f32, &err) ||
      !sym(lib, "sg_allreduce_bf16", &p_allreduce_bf16, &err) || !sym(lib, "sg_broadcast", &p_broadcast, &err) ||
      !sym(lib, "sg_barrier", &p_barrier, &err) || !sym(lib, "sg_close", &p_close, &err)) {
    return env->NewStringUTF(err.c_str());
  }
  return nullptr;
}

JNIEXPORT jlong JNICALL Java_io_github_saimjava_distributed_NativeGloo_connect(JNIEnv* env, jclass, jstring store,
    jstring arg, jint port, jint rank, jint size, jstring host, jlong timeoutMs, jintArray failure,
    jobjectArray message) {
  Status s;
  std::string st = utf(env, store), a = utf(env, arg), h = utf(env, host);
  void* ctx = p_connect(st.c_str(), a.c_str(), port, rank, size, h.c_str(), timeoutMs, &s.st);
  if (ctx == nullptr) {
    env->SetObjectArrayElement(message, 0, report(env, s, failure));
    return 0;
  }
  return reinterpret_cast<jlong>(ctx);
}

JNIEXPORT jstring JNICALL Java_io_github_saimjava_distributed_NativeGloo_allReduceF32(JNIEnv* env, jclass,
    jlong ctx, jobject buf, jlong n, jlong timeoutMs, jintArray failure) {
  Status s;
  auto* p = static_cast<float*>(env->GetDirectBufferAddress(buf));
  if (p_allreduce_f32(reinterpret_cast<void*>(ctx), p, static_cast<size_t>(n), timeoutMs, &s.st) != 0) {
    return report(env, s, failure);
  }
  return nullptr;
}

JNIEXPORT jstring JNICALL Java_io_github_saimjava_distributed_NativeGloo_allReduceBf16(JNIEnv* env, jclass,
    jlong ctx, jobject buf, jlong n, jlong timeoutMs, jintArray failure) {
  Status s;
  auto* p = static_cast<uint16_t*>(env->GetDirectBufferAddress(buf));
  if (p_allreduce_bf16(reinterpret_cast<void*>(ctx), p, static_cast<size_t>(n), timeoutMs, &s.st) != 0) {
    return report(env, s, failure);
  }
  return nullptr;
}

JNIEXPORT jstring JNICALL Java_io_github_saimjava_distributed_NativeGloo_broadcast(JNIEnv* env, jclass,
    jlong ctx, jobject buf, jlong bytes, jint root, jlong timeoutMs, jintArray failure) {
  Status s;
  void* p = env->GetDirectBufferAddress(buf);
  if (p_broadcast(reinterpret_cast<void*>(ctx), p, static_cast<size_t>(bytes), root, timeoutMs, &s.st) != 0) {
    return report(env, s, failure);
  }
  return nullptr;
}

JNIEXPORT jstring JNICALL Java_io_github_saimjava_distributed_NativeGloo_barrier(JNIEnv* env, jclass, jlong ctx,
    jlong timeoutMs, jintArray failure) {
  Status s;
  if (p_barrier(reinterpret_cast<void*>(ctx), timeoutMs, &s.st) != 0) {
    return report(env, s, failure);
  }
  return nullptr;
}

JNIEXPORT void JNICALL Java_io_github_saimjava_distributed_NativeGloo_close(JNIEnv*, jclass, jlong ctx) {
  p_close(reinterpret_cast<void*>(ctx));
}

}  // extern "C"
