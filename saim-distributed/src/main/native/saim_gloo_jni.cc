// The JNI loader: the only library Java loads (System.load). It links no Gloo itself; it opens
// libsaim_gloo.so with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND), so that library and its
// libgloo.so look symbols up in their own scope before the global one. PyTorch's libtorch_cpu.so
// exports its own, newer build of Gloo (about 600 symbols, other struct layouts); without
// DEEPBIND, a libgloo.so function could bind to torch's copy of a Gloo function it calls.
#include <dlfcn.h>
#include <jni.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "saim_gloo.h"

namespace {

void* (*p_connect_store)(const sg_store*, int, int, const char*, long long, sg_status*);
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

// A Java KeyValueStore seen as an sg_store: its methods are called from the connecting thread,
// during NativeGloo.connectStore, so the JNIEnv of that call is the right one.
struct JavaStore {
  JNIEnv* env;
  jobject store;
  jmethodID set;
  jmethodID get;
};

// Clears a pending Java exception into err; true when there was one.
bool javaFailed(JNIEnv* env, char* err, int errlen) {
  if (!env->ExceptionCheck()) {
    return false;
  }
  jthrowable t = env->ExceptionOccurred();
  env->ExceptionClear();
  jclass c = env->GetObjectClass(t);
  jmethodID m = env->GetMethodID(c, "toString", "()Ljava/lang/String;");
  auto text = static_cast<jstring>(env->CallObjectMethod(t, m));
  if (env->ExceptionCheck() || text == nullptr) {
    env->ExceptionClear();
    std::snprintf(err, errlen, "the rendezvous store failed");
  } else {
    std::snprintf(err, errlen, "%s", utf(env, text).c_str());
  }
  return true;
}

int javaSet(void* user, const char* key, const char* data, size_t len, char* err, int errlen) {
  auto* s = static_cast<JavaStore*>(user);
  JNIEnv* env = s->env;
  jstring k = env->NewStringUTF(key);
  jbyteArray v = env->NewByteArray(static_cast<jsize>(len));
  env->SetByteArrayRegion(v, 0, static_cast<jsize>(len), reinterpret_cast<const jbyte*>(data));
  env->CallVoidMethod(s->store, s->set, k, v);
  bool failed = javaFailed(env, err, errlen);
  env->DeleteLocalRef(k);
  env->DeleteLocalRef(v);
  return failed ? -1 : 0;
}

int javaGet(void* user, const char* key, long long timeoutMs, char** data, size_t* len, char* err, int errlen) {
  auto* s = static_cast<JavaStore*>(user);
  JNIEnv* env = s->env;
  jstring k = env->NewStringUTF(key);
  auto v = static_cast<jbyteArray>(env->CallObjectMethod(s->store, s->get, k, static_cast<jlong>(timeoutMs)));
  env->DeleteLocalRef(k);
  if (javaFailed(env, err, errlen)) {
    return -1;
  }
  jsize n = env->GetArrayLength(v);
  *data = static_cast<char*>(std::malloc(n > 0 ? n : 1));
  env->GetByteArrayRegion(v, 0, n, reinterpret_cast<jbyte*>(*data));
  *len = static_cast<size_t>(n);
  env->DeleteLocalRef(v);
  return 0;
}

}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_io_github_saimjava_distributed_NativeGloo_connectStore(JNIEnv* env, jclass,
    jobject store, jint rank, jint size, jstring host, jlong timeoutMs, jintArray failure, jobjectArray message) {
  jclass c = env->GetObjectClass(store);
  JavaStore js{env, store, env->GetMethodID(c, "set", "(Ljava/lang/String;[B)V"),
               env->GetMethodID(c, "get", "(Ljava/lang/String;J)[B")};
  if (js.set == nullptr || js.get == nullptr) {
    return 0;  // NoSuchMethodError is pending
  }
  sg_store cb{&js, &javaSet, &javaGet};
  Status s;
  std::string h = utf(env, host);
  void* ctx = p_connect_store(&cb, rank, size, h.c_str(), timeoutMs, &s.st);
  if (ctx == nullptr) {
    env->SetObjectArrayElement(message, 0, report(env, s, failure));
    return 0;
  }
  return reinterpret_cast<jlong>(ctx);
}


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
      !sym(lib, "sg_barrier", &p_barrier, &err) || !sym(lib, "sg_close", &p_close, &err) ||
      !sym(lib, "sg_connect_store", &p_connect_store, &err)) {
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
