// Native TLS front for implicit-TLS listeners (tls.engine = "native").
//
// Why: a Node TLSSocket costs ~26 kB per idle connection (a 64 kB NodeBIO input buffer partly
// resident, TLSWrap, the JS TLSSocket and its net.Socket), which keeps 10,000 idle IMAPS sessions
// above 300 MB. Here one thread with its own epoll loop runs OpenSSL directly on the TCP socket
// (SSL_set_fd: no memory BIOs) with SSL_MODE_RELEASE_BUFFERS, so an idle connection holds only its
// OpenSSL state (~10 kB; ~9 kB less per idle session than Node's TLS, bench/RESULTS.md); plaintext
// goes to JavaScript over a socketpair that Node reads as a plain socket. The price: three
// descriptors per connection (TCP, both ends of the pair) where Node's TLS holds one.
//
// JS accepts TCP itself (per-IP limits, PROXY protocol, cluster handles) and calls adopt(fd, ...):
// the descriptor is duplicated here and JS closes its own. When the handshake is done (or failed)
// the callback given to start() receives (id, fd, protocol, cipher, error); fd is JS's end of the
// pair. A session ends when either side closes: JS destroying its socket is all the API there is.
//
// Pumping is level-triggered and bounded: a side is read only while its destination can take the
// bytes; what a destination could not take right away is kept (exactly that, malloc'd) and that
// side's reads stop until it drains. One 16 kB scratch buffer serves every connection.
#include <node_api.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace {

constexpr size_t kScratch = 16384;        // one TLS record's worth of plaintext
constexpr int64_t kCloseLingerMs = 30000;  // a client that stops reading cannot hold a closed session
constexpr int kMaxEvents = 256;

int64_t nowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Conn;
/** What an epoll event points at: which connection, and which of its two descriptors. */
struct End {
  Conn* conn;
  bool pair;
  uint32_t events;  // interest currently registered (0 = not registered yet)
  bool registered;
};

/** Bytes a destination could not take yet (malloc'd, exactly the remainder). */
struct Pending {
  char* data = nullptr;
  size_t off = 0, len = 0;
  bool set(const char* p, size_t n) {
    data = static_cast<char*>(malloc(n));
    if (!data) return false;
    memcpy(data, p, n);
    off = 0;
    len = n;
    return true;
  }
  void consume(size_t n) {
    off += n;
    len -= n;
    if (len == 0) clear();
  }
  void clear() {
    free(data);
    data = nullptr;
    off = len = 0;
  }
};

enum class State { Handshake, Open };

struct Conn {
  uint32_t id = 0;
  int tcp = -1;
  int pair = -1;   // our end of the socketpair
  int jsFd = -1;   // JS's end, until the handshake's result hands it over
  SSL* ssl = nullptr;
  State state = State::Handshake;
  End tcpEnd{nullptr, false, 0, false};
  End pairEnd{nullptr, true, 0, false};
  uint32_t handshakeWants = EPOLLIN;
  Pending toPair;  // decrypted, not yet taken by the pair socket
  Pending toTcp;   // plaintext not yet accepted by SSL_write
  bool tcpEof = false;          // close_notify or EOF from the client: nothing more to decrypt
  bool pairEof = false;         // JS ended or closed: nothing more to encrypt
  bool readWantsWrite = false;  // SSL_read needs the TCP socket writable (post-handshake messages)
  bool writeWantsRead = false;  // SSL_write needs to read first
  int64_t deadline = 0;         // handshake timeout, or the linger after JS closed; 0 = none
  Conn* prev = nullptr;         // every live connection, for stop()
  Conn* next = nullptr;
  bool dead = false;
  Conn* nextDead = nullptr;
};

struct Result {
  uint32_t id;
  int fd;  // JS's end of the pair, -1 if the handshake failed
  char protocol[16];
  char cipher[64];
  char error[160];
};

// --- shared between the JS thread and the TLS thread ------------------------------------------
// One thread per process, started by the first start() and kept for the life of the process (an
// idle epoll_wait costs nothing); listeners come and go around it (tests run several servers).
std::mutex g_mu;
std::vector<Conn*> g_incoming;   // adopted, not yet registered by the thread
std::vector<uint32_t> g_cancel;  // handshakes JS gave up on (its listeners are closing)
int g_epoll = -1;
int g_wake = -1;  // eventfd: new connections or cancellations
std::atomic<uint32_t> g_live{0};
std::atomic<uint32_t> g_nextId{1};
bool g_running = false;
pthread_t g_thread;
napi_threadsafe_function g_tsfn = nullptr;

// --- TLS thread only ----------------------------------------------------------------------------
Conn* g_all = nullptr;
Conn* g_dead = nullptr;
char g_scratch[kScratch];

void lastSslError(char* out, size_t n, const char* what) {
  unsigned long e = ERR_get_error();
  if (e) {
    char buf[120];
    ERR_error_string_n(e, buf, sizeof buf);
    snprintf(out, n, "%s: %s", what, buf);
  } else if (errno) {
    snprintf(out, n, "%s: %s", what, strerror(errno));
  } else {
    snprintf(out, n, "%s", what);
  }
  ERR_clear_error();
}

void post(Result* r) {
  if (!g_tsfn || napi_call_threadsafe_function(g_tsfn, r, napi_tsfn_nonblocking) != napi_ok) {
    if (r->fd >= 0) close(r->fd);
    delete r;
  }
}

void closeFd(int& fd) {
  if (fd >= 0) close(fd);  // closing also removes it from the epoll set (we never dup it)
  fd = -1;
}

/** Frees everything the connection holds; the struct itself after the current batch of events. */
void kill(Conn* c, const char* why) {
  if (c->dead) return;
  c->dead = true;
  if (c->state == State::Handshake) {
    auto* r = new Result{};
    r->id = c->id;
    r->fd = -1;
    snprintf(r->error, sizeof r->error, "%s", why ? why : "closed");
    post(r);
  }
  if (c->ssl) SSL_free(c->ssl);  // the fd is not owned by the SSL (SSL_set_fd uses BIO_NOCLOSE)
  c->ssl = nullptr;
  closeFd(c->tcp);
  closeFd(c->pair);
  closeFd(c->jsFd);
  c->toPair.clear();
  c->toTcp.clear();
  if (c->prev) c->prev->next = c->next;
  else g_all = c->next;
  if (c->next) c->next->prev = c->prev;
  c->nextDead = g_dead;
  g_dead = c;
  g_live.fetch_sub(1);
}

bool setInterest(End& e, int fd, uint32_t want) {
  if (fd < 0) return true;
  if (e.registered && e.events == want) return true;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = &e;
  int op = e.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(g_epoll, op, fd, &ev) != 0) return false;
  e.registered = true;
  e.events = want;
  return true;
}

void rearm(Conn* c) {
  uint32_t tcp = 0, pair = 0;
  if (c->state == State::Handshake) {
    tcp = c->handshakeWants;
  } else {
    if ((!c->tcpEof && c->toPair.len == 0) || c->writeWantsRead) tcp |= EPOLLIN;
    if (c->toTcp.len || c->readWantsWrite) tcp |= EPOLLOUT;
    if (!c->pairEof && c->toTcp.len == 0) pair |= EPOLLIN;
    if (c->toPair.len) pair |= EPOLLOUT;
  }
  if (!setInterest(c->tcpEnd, c->tcp, tcp) || !setInterest(c->pairEnd, c->pair, pair))
    kill(c, "epoll_ctl failed");
}

/** Writes to the pair: bytes written, or -1 if JS's end is gone. */
ssize_t toPairWrite(Conn* c, const char* p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = send(c->pair, p + done, n - done, MSG_NOSIGNAL);
    if (w > 0) {
      done += size_t(w);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    } else {
      return -1;
    }
  }
  return ssize_t(done);
}

/** The client finished sending (close_notify or EOF): JS sees the end of its stream. */
void endToPair(Conn* c) {
  c->tcpEof = true;
  if (c->pair >= 0) shutdown(c->pair, SHUT_WR);
}

/**
 * JS closed its end while the client was still sending: what the client sends now has nobody to go
 * to, but what JS wrote last (a BYE) is still to be read from the pair and sent, so the connection
 * is not cut here; pumpOut finds the pair's EOF and closes it after the flush.
 */
bool jsGone(Conn* c) {
  c->toPair.clear();
  c->tcpEof = true;
  return true;
}

/** Client -> JS. Returns false if the connection was killed. */
bool pumpIn(Conn* c) {
  if (c->pair < 0) return true;
  if (c->toPair.len) {
    ssize_t w = toPairWrite(c, c->toPair.data + c->toPair.off, c->toPair.len);
    if (w < 0) return jsGone(c);
    c->toPair.consume(size_t(w));
    if (c->toPair.len) return true;
  }
  if (c->tcpEof) return true;
  c->readWantsWrite = false;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(c->ssl, g_scratch, int(kScratch));
    if (n > 0) {
      ssize_t w = toPairWrite(c, g_scratch, size_t(n));
      if (w < 0) return jsGone(c);
      if (w < n) {
        if (!c->toPair.set(g_scratch + w, size_t(n - w))) {
          kill(c, "out of memory");
          return false;
        }
        return true;  // the pair is full: stop decrypting until it drains
      }
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ) return true;
    if (e == SSL_ERROR_WANT_WRITE) {
      c->readWantsWrite = true;
      return true;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {  // SSL_OP_IGNORE_UNEXPECTED_EOF: a bare EOF lands here too
      endToPair(c);
      return true;
    }
    if (e == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    kill(c, "read error");
    return false;
  }
}

/** JS -> client. Returns false if the connection was killed. */
bool pumpOut(Conn* c) {
  c->writeWantsRead = false;
  for (;;) {
    if (c->toTcp.len) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_write(c->ssl, c->toTcp.data + c->toTcp.off, int(c->toTcp.len));
      if (n > 0) {
        c->toTcp.consume(size_t(n));
        continue;
      }
      int e = SSL_get_error(c->ssl, n);
      if (e == SSL_ERROR_WANT_WRITE) return true;
      if (e == SSL_ERROR_WANT_READ) {
        c->writeWantsRead = true;
        return true;
      }
      if (e == SSL_ERROR_SYSCALL && errno == EINTR) continue;
      kill(c, "write error");
      return false;
    }
    if (c->pairEof || c->pair < 0) return true;
    ssize_t r = recv(c->pair, g_scratch, kScratch, 0);
    if (r > 0) {
      // Handed to SSL_write through toTcp so that a partial write is retried with the same bytes.
      if (!c->toTcp.set(g_scratch, size_t(r))) {
        kill(c, "out of memory");
        return false;
      }
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    c->pairEof = true;  // EOF, or an error (reset): JS is done with the session
    return true;
  }
}

/** Handshake done: JS gets its end of the pair. */
bool opened(Conn* c) {
  c->state = State::Open;
  c->deadline = 0;
  auto* r = new Result{};
  r->id = c->id;
  r->fd = c->jsFd;
  c->jsFd = -1;
  snprintf(r->protocol, sizeof r->protocol, "%s", SSL_get_version(c->ssl));
  const char* cipher = SSL_get_cipher_name(c->ssl);
  snprintf(r->cipher, sizeof r->cipher, "%s", cipher ? cipher : "");
  post(r);
  return true;
}

void service(Conn* c, uint32_t events, bool fromTcp) {
  if (c->dead) return;
  if (c->state == State::Handshake) {
    if (fromTcp && (events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
      kill(c, "client closed during the handshake");
      return;
    }
    ERR_clear_error();
    errno = 0;
    int r = SSL_accept(c->ssl);
    if (r == 1) {
      if (!opened(c)) return;
    } else {
      int e = SSL_get_error(c->ssl, r);
      if (e == SSL_ERROR_WANT_READ) c->handshakeWants = EPOLLIN;
      else if (e == SSL_ERROR_WANT_WRITE) c->handshakeWants = EPOLLOUT;
      else if (e == SSL_ERROR_SYSCALL && errno == EINTR) c->handshakeWants = EPOLLIN | EPOLLOUT;
      else {
        char why[160];
        lastSslError(why, sizeof why, "handshake failed");
        kill(c, why);
        return;
      }
      rearm(c);
      return;
    }
  }
  if (!pumpIn(c) || !pumpOut(c)) return;
  // Data queued for JS by the last read may now be writable too: one more pass costs nothing.
  if (c->toPair.len == 0 && !pumpIn(c)) return;
  if (fromTcp && (events & (EPOLLERR | EPOLLHUP))) {
    kill(c, nullptr);  // the client is gone both ways: nothing more can reach it
    return;
  }
  if (!fromTcp && (events & (EPOLLERR | EPOLLHUP)) && c->pair >= 0) {
    // JS closed its end completely: nothing more to read from or deliver to it (and the client's
    // bytes are no longer read: with nowhere to go they would wake epoll for nothing, again and again).
    c->pairEof = true;
    c->tcpEof = true;
    c->toPair.clear();
    closeFd(c->pair);
    c->pairEnd.registered = false;
  }
  if (c->pairEof && c->toTcp.len == 0) {
    // Everything JS wrote has been handed to TLS: say close_notify (best effort) and close.
    ERR_clear_error();
    SSL_shutdown(c->ssl);
    kill(c, nullptr);
    return;
  }
  if (c->pairEof && c->deadline == 0) c->deadline = nowMs() + kCloseLingerMs;
  rearm(c);
}

void reapDead() {
  while (g_dead) {
    Conn* c = g_dead;
    g_dead = c->nextDead;
    delete c;
  }
}

void registerIncoming() {
  std::vector<Conn*> batch;
  std::vector<uint32_t> cancel;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    batch.swap(g_incoming);
    cancel.swap(g_cancel);
  }
  // Rare (a listener closing with handshakes under way): a walk over the list is fine.
  for (uint32_t id : cancel)
    for (Conn* c = g_all; c; c = c->next)
      if (c->id == id && c->state == State::Handshake) {
        kill(c, "cancelled");
        break;
      }
  for (Conn* c : batch) {
    c->next = g_all;
    if (g_all) g_all->prev = c;
    g_all = c;
    service(c, 0, true);  // SSL_accept: usually WANT_READ, and the ClientHello may be there already
  }
}

void expire() {
  int64_t now = nowMs();
  for (Conn* c = g_all; c;) {
    Conn* next = c->next;
    if (c->deadline && c->deadline <= now)
      kill(c, c->state == State::Handshake ? "handshake timed out" : "client did not read before close");
    c = next;
  }
}

void* threadMain(void*) {
  epoll_event events[kMaxEvents];
  int64_t nextSweep = nowMs() + 1000;
  for (;;) {
    int n = epoll_wait(g_epoll, events, kMaxEvents, 1000);
    if (n < 0 && errno != EINTR) {
      perror("tls-front: epoll_wait");
      abort();  // cannot happen with a valid epoll fd; better a crash than silent dead sessions
    }
    for (int i = 0; i < n; i++) {
      End* e = static_cast<End*>(events[i].data.ptr);
      if (!e) {
        uint64_t v;
        while (read(g_wake, &v, sizeof v) < 0 && errno == EINTR) {
        }
        continue;
      }
      service(e->conn, events[i].events, !e->pair);
    }
    reapDead();
    registerIncoming();
    // Deadlines are coarse (a second) and only for handshakes and lingering closes: one pass over
    // the list per second, a few microseconds for ten thousand idle connections.
    int64_t now = nowMs();
    if (now >= nextSweep) {
      expire();
      nextSweep = now + 1000;
    }
    reapDead();
  }
  return nullptr;
}

// --- N-API ------------------------------------------------------------------------------------

napi_value throwError(napi_env env, const char* msg) {
  napi_throw_error(env, nullptr, msg);
  return nullptr;
}

bool getString(napi_env env, napi_value v, std::vector<char>& out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return false;
  out.resize(len + 1);
  return napi_get_value_string_utf8(env, v, out.data(), len + 1, &len) == napi_ok;
}

void callJs(napi_env env, napi_value cb, void*, void* data) {
  auto* r = static_cast<Result*>(data);
  if (!env) {  // the function is being torn down: nobody will take the descriptor
    if (r->fd >= 0) close(r->fd);
    delete r;
    return;
  }
  napi_value argv[5], undef;
  napi_get_undefined(env, &undef);
  napi_create_uint32(env, r->id, &argv[0]);
  napi_create_int32(env, r->fd, &argv[1]);
  napi_create_string_utf8(env, r->protocol, NAPI_AUTO_LENGTH, &argv[2]);
  napi_create_string_utf8(env, r->cipher, NAPI_AUTO_LENGTH, &argv[3]);
  if (r->fd < 0) napi_create_string_utf8(env, r->error, NAPI_AUTO_LENGTH, &argv[4]);
  else argv[4] = undef;
  delete r;
  napi_call_function(env, undef, cb, 5, argv, nullptr);
}

/** start(callback): the thread and its epoll set. */
napi_value Start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (g_running) return throwError(env, "tls front already started (once per process)");
  napi_valuetype t;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function)
    return throwError(env, "start(callback): a function is needed");
  napi_value name;
  napi_create_string_utf8(env, "tls-front", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], nullptr, name, 0, 1, nullptr, nullptr, nullptr, callJs,
                                      &g_tsfn) != napi_ok)
    return throwError(env, "cannot create the callback");
  // The results must not keep the process alive on their own (open sockets do that).
  napi_unref_threadsafe_function(env, g_tsfn);
  g_epoll = epoll_create1(EPOLL_CLOEXEC);
  g_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  if (g_epoll < 0 || g_wake < 0 || epoll_ctl(g_epoll, EPOLL_CTL_ADD, g_wake, &ev) != 0) {
    if (g_epoll >= 0) close(g_epoll);
    if (g_wake >= 0) close(g_wake);
    g_epoll = g_wake = -1;
    napi_release_threadsafe_function(g_tsfn, napi_tsfn_abort);
    g_tsfn = nullptr;
    return throwError(env, "epoll/eventfd failed");
  }
  // Signals stay with Node's main thread (SIGTERM drains, SIGUSR2 writes a heap snapshot).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&g_thread, nullptr, threadMain, nullptr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    close(g_epoll);
    close(g_wake);
    g_epoll = g_wake = -1;
    napi_release_threadsafe_function(g_tsfn, napi_tsfn_abort);
    g_tsfn = nullptr;
    return throwError(env, "cannot start the TLS thread");
  }
  g_running = true;
  return nullptr;
}

SSL_CTX* makeContext(const char* cert, const char* key, const char* ciphers, const char* suites,
                     char* err, size_t errLen) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    lastSslError(err, errLen, "SSL_CTX_new");
    return nullptr;
  }
  bool ok = true;
  // As Node's defaults: TLS 1.2 and 1.3, its cipher list, groups chosen by OpenSSL ("auto").
  ok = ok && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1;
  ok = ok && SSL_CTX_set_cipher_list(ctx, ciphers) == 1;
  ok = ok && SSL_CTX_set_ciphersuites(ctx, suites) == 1;
  if (!ok) {
    lastSslError(err, errLen, "cipher settings");
    SSL_CTX_free(ctx);
    return nullptr;
  }
  // No renegotiation (a cheap CPU attack on the server), a bare EOF is the end of the stream (the
  // mail protocols have their own framing), no server-side session cache (tickets still resume).
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  BIO* bio = BIO_new_mem_buf(cert, -1);
  X509* leaf = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  if (!leaf || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    lastSslError(err, errLen, "certificate");
    X509_free(leaf);
    BIO_free(bio);
    SSL_CTX_free(ctx);
    return nullptr;
  }
  X509_free(leaf);
  // The rest of the PEM is the chain, sent after the leaf.
  while (X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      lastSslError(err, errLen, "certificate chain");
      BIO_free(bio);
      SSL_CTX_free(ctx);
      return nullptr;
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BIO_free(bio);
  bio = BIO_new_mem_buf(key, -1);
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!pkey || SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    lastSslError(err, errLen, "private key");
    EVP_PKEY_free(pkey);
    SSL_CTX_free(ctx);
    return nullptr;
  }
  EVP_PKEY_free(pkey);
  return ctx;
}

void finalizeContext(napi_env, void* data, void*) {
  SSL_CTX_free(static_cast<SSL_CTX*>(data));  // connections made with it keep their own reference
}

/** createContext(certPem, keyPem, cipherList, cipherSuites): an SSL_CTX owned by a JS external. */
napi_value CreateContext(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  std::vector<char> cert, key, ciphers, suites;
  if (argc < 4 || !getString(env, argv[0], cert) || !getString(env, argv[1], key) ||
      !getString(env, argv[2], ciphers) || !getString(env, argv[3], suites))
    return throwError(env, "createContext(cert, key, ciphers, suites): four strings are needed");
  char err[200] = "";
  SSL_CTX* ctx = makeContext(cert.data(), key.data(), ciphers.data(), suites.data(), err, sizeof err);
  // The key's bytes should not linger in freed memory.
  OPENSSL_cleanse(key.data(), key.size());
  if (!ctx) return throwError(env, err);
  napi_value ext;
  if (napi_create_external(env, ctx, finalizeContext, nullptr, &ext) != napi_ok) {
    SSL_CTX_free(ctx);
    return throwError(env, "cannot wrap the context");
  }
  return ext;
}

/**
 * adopt(fd, handshakeTimeoutMs, context): takes a duplicate of an accepted TCP socket; returns the
 * connection's id, which the handshake's result carries.
 */
napi_value Adopt(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t fd = -1;
  int64_t timeoutMs = 0;
  void* ctxData = nullptr;
  napi_valuetype t = napi_undefined;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int64(env, argv[1], &timeoutMs) != napi_ok || fd < 0 || timeoutMs < 0 ||
      napi_typeof(env, argv[2], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[2], &ctxData) != napi_ok || !ctxData)
    return throwError(env, "adopt(fd, timeoutMs, context): a descriptor, a timeout and a context are needed");
  SSL_CTX* ctx = static_cast<SSL_CTX*>(ctxData);
  if (!g_running) return throwError(env, "tls front not started");
  // Every descriptor the connection will need is taken now, so that running out of them (EMFILE)
  // is an error here, which JS answers by using Node's TLS for this connection, and not a
  // handshake cut later.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
    return throwError(env, strerror(errno));
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return throwError(env, strerror(e));
  }
  int flags = fcntl(own, F_GETFL);
  if (flags < 0 || fcntl(own, F_SETFL, flags | O_NONBLOCK) != 0) {
    close(own);
    close(sv[0]);
    close(sv[1]);
    return throwError(env, "cannot make the socket non-blocking");
  }
  SSL* ssl = SSL_new(ctx);  // takes its own reference on ctx
  if (!ssl || SSL_set_fd(ssl, own) != 1) {
    if (ssl) SSL_free(ssl);
    close(own);
    close(sv[0]);
    close(sv[1]);
    ERR_clear_error();
    return throwError(env, "SSL_new failed");
  }
  auto* c = new Conn{};
  c->id = g_nextId.fetch_add(1);
  if (c->id == 0) c->id = g_nextId.fetch_add(1);  // 0 is never an id
  c->tcp = own;
  c->pair = sv[0];
  c->jsFd = sv[1];
  c->ssl = ssl;
  c->tcpEnd.conn = c;
  c->pairEnd.conn = c;
  c->deadline = timeoutMs > 0 ? nowMs() + timeoutMs : 0;
  g_live.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_incoming.push_back(c);
  }
  uint64_t one = 1;
  while (write(g_wake, &one, sizeof one) < 0 && errno == EINTR) {
  }
  napi_value id;
  napi_create_uint32(env, c->id, &id);
  return id;
}

/** cancel(id): drops a connection still in its handshake (its listener is closing). */
napi_value Cancel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t id = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &id) != napi_ok)
    return throwError(env, "cancel(id): an id is needed");
  if (!g_running) return nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_cancel.push_back(id);
  }
  uint64_t one = 1;
  while (write(g_wake, &one, sizeof one) < 0 && errno == EINTR) {
  }
  return nullptr;
}

/** live(): connections held (handshaking or open), for tests and the shutdown log. */
napi_value Live(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_uint32(env, g_live.load(), &v);
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"start", nullptr, Start, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createContext", nullptr, CreateContext, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adopt", nullptr, Adopt, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cancel", nullptr, Cancel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"live", nullptr, Live, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
