// The Gloo side: a full-mesh context over Gloo's TCP transport, and the collectives the Java
// face needs, behind the C functions of saim_gloo.h. Built into libsaim_gloo.so, linked against
// Debian's libgloo.so, and opened by the JNI loader with RTLD_LOCAL | RTLD_DEEPBIND.
#include "saim_gloo.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/config.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#if GLOO_USE_REDIS
#include <gloo/rendezvous/redis_store.h>
#endif
#include <gloo/transport/tcp/device.h>

namespace {

struct Ctx {
  std::shared_ptr<gloo::transport::Device> device;
  std::shared_ptr<gloo::rendezvous::Context> context;
  // the address of every peer's end of its pair with us, as Gloo prints it in errors
  std::map<std::string, int> peerAddress;
  uint32_t tag = 0;
};

void fail(sg_status* st, const std::string& msg, int peer, bool timeout) {
  std::snprintf(st->err, st->errlen, "%s", msg.c_str());
  st->peer = peer;
  st->timeout = timeout ? 1 : 0;
}

// Gloo's messages start with "[file:line] "; the rest is what a user can act on.
std::string strip(const char* what) {
  std::string s(what);
  if (!s.empty() && s[0] == '[') {
    auto end = s.find("] ");
    if (end != std::string::npos) {
      s = s.substr(end + 2);
    }
  }
  return s;
}

int peerIn(const Ctx* c, const std::string& msg) {
  for (const auto& e : c->peerAddress) {
    if (msg.find(e.first) != std::string::npos) {
      return e.second;
    }
  }
  return -1;
}

bool isTimeout(const std::string& msg) {
  return msg.find("Timed out") != std::string::npos || msg.find("timed out") != std::string::npos ||
         msg.find("timeout") != std::string::npos;
}

template <typename F>
int guarded(Ctx* c, sg_status* st, F body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    std::string msg = strip(e.what());
    fail(st, msg, c == nullptr ? -1 : peerIn(c, msg), isTimeout(msg));
    return -1;
  }
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// round to nearest even, as PyTorch's float -> bfloat16 conversion; NaN stays NaN
uint16_t floatToBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  }
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

struct Bf16 {
  uint16_t bits;
};

// Gloo has float16 but no bfloat16: the sum of two bfloat16 buffers through float32
void sumBf16(void* c, const void* a, const void* b, size_t n) {
  auto* out = static_cast<Bf16*>(c);
  const auto* x = static_cast<const Bf16*>(a);
  const auto* y = static_cast<const Bf16*>(b);
  for (size_t i = 0; i < n; i++) {
    out[i].bits = floatToBf16(bf16ToFloat(x[i].bits) + bf16ToFloat(y[i].bits));
  }
}

class CallbackStore : public gloo::rendezvous::Store {
 public:
  CallbackStore(const sg_store* cb, long long timeoutMs) : cb_(cb), timeoutMs_(timeoutMs) {}

  void set(const std::string& key, const std::vector<char>& data) override {
    char err[1024] = {0};
    if (cb_->set(cb_->user, key.c_str(), data.data(), data.size(), err, sizeof err) != 0) {
      throw std::runtime_error(err);
    }
  }

  std::vector<char> get(const std::string& key) override {
    return fetch(key, timeoutMs_);
  }

  void wait(const std::vector<std::string>& keys) override {
    wait(keys, std::chrono::milliseconds(timeoutMs_));
  }

  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override {
    for (const auto& k : keys) {
      fetch(k, timeout.count());
    }
  }

 private:
  std::vector<char> fetch(const std::string& key, long long timeoutMs) {
    char err[1024] = {0};
    char* data = nullptr;
    size_t len = 0;
    if (cb_->get(cb_->user, key.c_str(), timeoutMs, &data, &len, err, sizeof err) != 0) {
      throw std::runtime_error(err);
    }
    std::vector<char> v(data, data + len);
    std::free(data);
    return v;
  }

  const sg_store* cb_;
  long long timeoutMs_;
};

// the mesh over Gloo's TCP transport, and the map from peer addresses to ranks
void connectMesh(Ctx* c, gloo::rendezvous::Store& base, int rank, int size, const char* host, long long timeout_ms) {
  gloo::transport::tcp::attr attr;
  if (host != nullptr && host[0] != '\0') {
    attr.hostname = host;
  }
  c->device = gloo::transport::tcp::CreateDevice(attr);
  c->context = std::make_shared<gloo::rendezvous::Context>(rank, size);
  c->context->setTimeout(std::chrono::milliseconds(timeout_ms));
  c->context->connectFullMesh(base, c->device);
  // publish where our ends of the pairs listen, so that an error naming an address names a rank
  std::ostringstream mine;
  for (int i = 0; i < size; i++) {
    if (i != rank) {
      mine << c->context->getPair(i)->address().str() << "\n";
    }
  }
  std::string s = mine.str();
  base.set("saim-pairs-" + std::to_string(rank), std::vector<char>(s.begin(), s.end()));
  for (int i = 0; i < size; i++) {
    if (i == rank) {
      continue;
    }
    std::string key = "saim-pairs-" + std::to_string(i);
    base.wait({key}, std::chrono::milliseconds(timeout_ms));
    std::vector<char> v = base.get(key);
    std::istringstream lines(std::string(v.begin(), v.end()));
    std::string line;
    while (std::getline(lines, line)) {
      if (!line.empty()) {
        c->peerAddress[line] = i;
      }
    }
  }
}

}  // namespace

extern "C" void* sg_connect_store(const sg_store* store, int rank, int size, const char* host, long long timeout_ms,
                                  sg_status* st) {
  auto c = std::make_unique<Ctx>();
  CallbackStore base(store, timeout_ms);
  if (guarded(nullptr, st, [&] { connectMesh(c.get(), base, rank, size, host, timeout_ms); }) != 0) {
    return nullptr;
  }
  return c.release();
}

extern "C" void* sg_connect(const char* store, const char* arg, int port, int rank, int size,
                            const char* host, long long timeout_ms, sg_status* st) {
  auto c = std::make_unique<Ctx>();
  std::unique_ptr<gloo::rendezvous::Store> backing;
  std::unique_ptr<gloo::rendezvous::Store> base;
  int rc = guarded(nullptr, st, [&] {
    if (std::strcmp(store, "file") == 0) {
      base = std::make_unique<gloo::rendezvous::FileStore>(arg);
    } else if (std::strcmp(store, "redis") == 0) {
#if GLOO_USE_REDIS
      // arg: "HOST/RUN"; the keys of this launch are prefixed with RUN
      std::string a(arg);
      auto slash = a.rfind('/');
      backing = std::make_unique<gloo::rendezvous::RedisStore>(a.substr(0, slash), port);
      base = std::make_unique<gloo::rendezvous::PrefixStore>(a.substr(slash + 1), *backing);
#else
      throw std::runtime_error("this Gloo was built without Redis support");
#endif
    } else {
      throw std::runtime_error(std::string("unknown store kind ") + store);
    }
    connectMesh(c.get(), *base, rank, size, host, timeout_ms);
  });
  if (rc != 0) {
    return nullptr;
  }
  return c.release();
}

extern "C" int sg_allreduce_f32(void* ctx, float* buf, size_t n, long long timeout_ms, sg_status* st) {
  auto* c = static_cast<Ctx*>(ctx);
  return guarded(c, st, [&] {
    gloo::AllreduceOptions opts(c->context);
    opts.setOutput(buf, n);
    opts.setReduceFunction(
        static_cast<void (*)(void*, const void*, const void*, size_t)>(&gloo::sum<float>));
    opts.setTag(c->tag++);
    opts.setTimeout(std::chrono::milliseconds(timeout_ms));
    gloo::allreduce(opts);
  });
}

extern "C" int sg_allreduce_bf16(void* ctx, uint16_t* buf, size_t n, long long timeout_ms, sg_status* st) {
  auto* c = static_cast<Ctx*>(ctx);
  return guarded(c, st, [&] {
    gloo::AllreduceOptions opts(c->context);
    opts.setOutput(reinterpret_cast<Bf16*>(buf), n);
    opts.setReduceFunction(&sumBf16);
    opts.setTag(c->tag++);
    opts.setTimeout(std::chrono::milliseconds(timeout_ms));
    gloo::allreduce(opts);
  });
}

extern "C" int sg_broadcast(void* ctx, void* buf, size_t bytes, int root, long long timeout_ms, sg_status* st) {
  auto* c = static_cast<Ctx*>(ctx);
  return guarded(c, st, [&] {
    gloo::BroadcastOptions opts(c->context);
    opts.setOutput(static_cast<uint8_t*>(buf), bytes);
    opts.setRoot(root);
    opts.setTag(c->tag++);
    opts.setTimeout(std::chrono::milliseconds(timeout_ms));
    gloo::broadcast(opts);
  });
}

extern "C" int sg_barrier(void* ctx, long long timeout_ms, sg_status* st) {
  auto* c = static_cast<Ctx*>(ctx);
  return guarded(c, st, [&] {
    gloo::BarrierOptions opts(c->context);
    opts.setTag(c->tag++);
    opts.setTimeout(std::chrono::milliseconds(timeout_ms));
    gloo::barrier(opts);
  });
}

extern "C" void sg_close(void* ctx) {
  delete static_cast<Ctx*>(ctx);
}
