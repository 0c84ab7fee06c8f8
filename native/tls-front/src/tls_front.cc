// Native TLS front for implicit-TLS listeners (tls.engine = "native").
//
// Why: a Node TLSSocket costs ~26 kB per idle connection (a 64 kB NodeBIO input buffer partly
// resident, TLSWrap, the JS TLSSocket and its net.Socket), which keeps 10,000 idle IMAPS sessions
// above 300 MB. Here one thread with its own epoll loop runs OpenSSL directly on the TCP socket
// (SSL_set_fd: no memory BIOs) with SSL_MODE_RELEASE_BUFFERS. OpenSSL 3.0 still keeps ~14 kB per
// idle connection, so a TLS 1.3 session leaves it once the handshake is done (detach()): its traffic
// secrets come from the key log callback, the SSL object is freed and tls13_record.h protects the
// records — an idle session then holds only this file's Conn and its keys. TLS 1.2 sessions stay on
// OpenSSL (SSL_read/SSL_write). Plaintext crosses to JavaScript without any descriptor:
// decrypted bytes are posted as events through a threadsafe function, and JS's bytes come back
// through send() into a queue this thread drains when its eventfd wakes it. A native session holds
// one descriptor (its TCP socket), as a Node TLS one does; on the JS side a small event emitter
// (src/server/lean-socket.ts) stands in for net.Socket.
//
// JS accepts TCP itself (per-IP limits, PROXY protocol, cluster handles) and calls adopt(fd, ...):
// the descriptor is duplicated here and JS closes its own. Events to JS, in order per connection:
// OPEN(protocol, cipher) or FAIL(error) once the handshake ends; then DATA(bytes) (decrypted),
// SENT(n) (n more of JS's bytes sealed or handed to SSL_write), END (the client finished sending) and CLOSE
// (the connection is gone, always last). Calls from JS: send(id, bytes), end(id) (flush, close_notify,
// close), destroy(id) (at once), ack(id, n) (JS delivered n bytes of DATA).
//
// Backpressure: the client is read only while less than kMaxUnacked of posted DATA is unacknowledged
// (JS acks as it emits 'data', and not while paused); JS's side stops writing when its bytes not yet
// SENT pass its high-water mark (writableNeedDrain/'drain' in lean-socket.ts). The thread's scratch
// buffers serve every connection; a connection has buffers of its own only while a record is half
// received or the socket has not taken what was sealed.
#include <node_api.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tls13_record.h"

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
#include <new>
#include <unordered_map>
#include <vector>

namespace {

constexpr size_t kScratch = 16384;         // one TLS record's worth of plaintext
constexpr size_t kMaxUnacked = 65536;      // decrypted bytes JS may hold before the client is not read
constexpr int64_t kCloseLingerMs = 30000;  // a client that stops reading cannot hold a closed session
constexpr int kMaxEvents = 256;

int64_t nowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

/** A chunk JS sent, malloc'd with its bytes by send() on the JS thread, freed once SSL_write took it. */
struct Out {
  Out* next;
  size_t off, len;
  char data[1];
};

enum class State { Handshake, Open };

/** A TLS 1.3 handshake's application traffic secrets, from OpenSSL's key log callback. */
struct Secrets {
  uint8_t client[tls13::kMaxSecret];
  uint8_t server[tls13::kMaxSecret];
  uint8_t clientLen = 0;
  uint8_t serverLen = 0;
};

struct Conn {
  uint32_t id = 0;
  int tcp = -1;
  SSL* ssl = nullptr;
  SSL_CTX* ctx = nullptr;  // from adopt() until the TLS thread makes the SSL
  State state = State::Handshake;
  uint32_t events = 0;  // epoll interest currently registered
  bool registered = false;
  uint32_t handshakeWants = EPOLLIN;
  Out* outHead = nullptr;  // JS's bytes not yet accepted by SSL_write, in order
  Out* outTail = nullptr;
  size_t unacked = 0;           // DATA bytes posted that JS has not acknowledged
  bool tcpEof = false;          // close_notify or EOF from the client (or JS ended): nothing more to read
  bool jsEnded = false;         // end(): close once the queue is flushed
  bool readWantsWrite = false;  // SSL_read needs the TCP socket writable (post-handshake messages)
  bool writeWantsRead = false;  // SSL_write needs to read first
  int64_t deadline = 0;         // handshake timeout, or the linger after JS ended; 0 = none
  Conn* prev = nullptr;         // every live connection, for the deadline sweep
  Conn* next = nullptr;
  bool dead = false;
  Conn* nextDead = nullptr;
  // TLS 1.3 after the handshake: OpenSSL's SSL object is freed and the records are ours
  // (tls13_record.h). keys is set instead of ssl; the buffers exist only while bytes wait in them.
  tls13::Keys* keys = nullptr;
  Secrets* secrets = nullptr;  // during the handshake
  uint8_t ticketsSent = 0;     // NewSessionTicket records OpenSSL sent under the server's traffic key
  bool keyUpdateDue = false;   // the client asked for our KeyUpdate, or our key has sealed enough
  uint8_t* in = nullptr;       // the start of a record not yet complete
  uint32_t inLen = 0;
  uint8_t* pending = nullptr;  // sealed bytes the socket has not taken yet
  uint32_t pendingOff = 0;
  uint32_t pendingLen = 0;
};

enum EvKind : uint8_t { kOpen = 0, kFail = 1, kData = 2, kSent = 3, kEnd = 4, kClose = 5 };

/** One event for JS; DATA carries its bytes inline, OPEN "protocol\0cipher", FAIL/CLOSE a reason. */
struct Ev {
  uint32_t id;
  uint8_t kind;
  size_t n;
  char data[1];
};

enum CmdKind : uint8_t { kSend, kEndCmd, kDestroy, kAck, kCancel };
struct Cmd {
  CmdKind kind;
  uint32_t id;
  size_t n;
  Out* out;
};

// --- shared between the JS thread and the TLS thread ------------------------------------------
// One thread per process, started by the first start() and kept for the life of the process (an
// idle epoll_wait costs nothing); listeners come and go around it (tests run several servers).
std::mutex g_mu;
std::vector<Conn*> g_incoming;  // adopted, not yet registered by the thread
std::vector<Cmd> g_cmds;        // JS's calls, in order
std::atomic<bool> g_wakePending{false};  // an eventfd write is already on its way: one per batch
int g_epoll = -1;
int g_wake = -1;  // eventfd: new connections or commands
std::atomic<uint32_t> g_live{0};
std::atomic<uint32_t> g_detached{0};  // of them, TLS 1.3 sessions on our own record layer
std::atomic<uint32_t> g_nextId{1};
bool g_running = false;
pthread_t g_thread;
napi_threadsafe_function g_tsfn = nullptr;

// --- TLS thread only ----------------------------------------------------------------------------
Conn* g_all = nullptr;
Conn* g_dead = nullptr;
std::unordered_map<uint32_t, Conn*> g_byId;
char g_scratch[kScratch];
// Protected records in and out of the TLS 1.3 connections: several records per system call.
constexpr size_t kRecordBatch = 4;
uint8_t g_recv[tls13::kMaxRecord * kRecordBatch];
uint8_t g_send[tls13::kMaxRecord * kRecordBatch];
// AES-GCM's limit is 2^24.5 full records per key (RFC 8446 §5.5): rekey well before it.
constexpr uint64_t kRekeyAfter = uint64_t(1) << 24;

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

/** Queues an event for JS; false if it could not be (out of memory, or the process is ending). */
bool post(uint32_t id, EvKind kind, const char* data, size_t n) {
  auto* e = static_cast<Ev*>(malloc(sizeof(Ev) + n));
  if (!e) return false;
  e->id = id;
  e->kind = kind;
  e->n = n;
  if (n) memcpy(e->data, data, n);
  e->data[n] = 0;
  if (!g_tsfn || napi_call_threadsafe_function(g_tsfn, e, napi_tsfn_nonblocking) != napi_ok) {
    free(e);
    return false;
  }
  return true;
}
void postText(uint32_t id, EvKind kind, const char* text) { post(id, kind, text, strlen(text)); }

void wakeThread() {
  if (g_wakePending.exchange(true)) return;
  uint64_t one = 1;
  while (write(g_wake, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void freeOut(Conn* c) {
  while (Out* o = c->outHead) {
    c->outHead = o->next;
    free(o);
  }
  c->outTail = nullptr;
}

void dropSecrets(Conn* c) {
  if (!c->secrets) return;
  OPENSSL_cleanse(c->secrets, sizeof *c->secrets);
  delete c->secrets;
  c->secrets = nullptr;
}

/** The incomplete record's buffer, if any. */
void dropIn(Conn* c) {
  free(c->in);
  c->in = nullptr;
  c->inLen = 0;
}

void dropRecordState(Conn* c) {
  dropSecrets(c);
  if (c->keys) {
    g_detached.fetch_sub(1);
    tls13::wipe(*c->keys);
    delete c->keys;
    c->keys = nullptr;
  }
  dropIn(c);
  free(c->pending);
  c->pending = nullptr;
  c->pendingOff = c->pendingLen = 0;
}

/** Frees everything the connection holds; the struct itself after the current batch of events. */
void kill(Conn* c, const char* why) {
  if (c->dead) return;
  c->dead = true;
  // JS hears of it exactly once: FAIL for a handshake, CLOSE for a session (after all its DATA).
  postText(c->id, c->state == State::Handshake ? kFail : kClose, why ? why : "closed");
  if (c->ssl) SSL_free(c->ssl);  // the fd is not owned by the SSL (SSL_set_fd uses BIO_NOCLOSE)
  c->ssl = nullptr;
  if (c->ctx) SSL_CTX_free(c->ctx);
  c->ctx = nullptr;
  dropRecordState(c);
  if (c->tcp >= 0) close(c->tcp);  // closing also removes it from the epoll set (never dup'd)
  c->tcp = -1;
  freeOut(c);
  g_byId.erase(c->id);
  if (c->prev) c->prev->next = c->next;
  else g_all = c->next;
  if (c->next) c->next->prev = c->prev;
  c->nextDead = g_dead;
  g_dead = c;
  g_live.fetch_sub(1);
}

void rearm(Conn* c) {
  uint32_t want = 0;
  if (c->state == State::Handshake) {
    want = c->handshakeWants;
  } else {
    if ((!c->tcpEof && c->unacked < kMaxUnacked) || c->writeWantsRead) want |= EPOLLIN;
    if (c->outHead || c->readWantsWrite || c->pendingLen || c->keyUpdateDue) want |= EPOLLOUT;
  }
  if (c->registered && c->events == want) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = c;
  if (epoll_ctl(g_epoll, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->tcp, &ev) != 0) {
    kill(c, "epoll_ctl failed");
    return;
  }
  c->registered = true;
  c->events = want;
}

bool pumpInRecords(Conn* c);
bool pumpOutRecords(Conn* c);

/** Client -> JS, while JS keeps up. Returns false if the connection was killed. */
bool pumpIn(Conn* c) {
  if (c->keys) return pumpInRecords(c);
  if (c->tcpEof) return true;
  c->readWantsWrite = false;
  while (c->unacked < kMaxUnacked) {
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(c->ssl, g_scratch, int(kScratch));
    if (n > 0) {
      if (!post(c->id, kData, g_scratch, size_t(n))) {
        kill(c, "cannot hand data to JS");
        return false;
      }
      c->unacked += size_t(n);
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_READ) return true;
    if (e == SSL_ERROR_WANT_WRITE) {
      c->readWantsWrite = true;
      return true;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {  // SSL_OP_IGNORE_UNEXPECTED_EOF: a bare EOF lands here too
      c->tcpEof = true;
      postText(c->id, kEnd, "");
      return true;
    }
    if (e == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    kill(c, "read error");
    return false;
  }
  return true;  // JS holds enough: the client waits (in the kernel, then in its own buffers)
}

/** JS -> client. Returns false if the connection was killed. */
bool pumpOut(Conn* c) {
  if (c->keys) return pumpOutRecords(c);
  c->writeWantsRead = false;
  size_t sent = 0;
  bool ok = true;
  while (Out* o = c->outHead) {
    ERR_clear_error();
    errno = 0;
    // A chunk retried after WANT_* is the same bytes at the same place (ACCEPT_MOVING_WRITE_BUFFER
    // is set anyway); PARTIAL_WRITE lets SSL_write take part of a large chunk.
    int n = SSL_write(c->ssl, o->data + o->off, int(o->len));
    if (n > 0) {
      o->off += size_t(n);
      o->len -= size_t(n);
      sent += size_t(n);
      if (o->len == 0) {
        c->outHead = o->next;
        if (!c->outHead) c->outTail = nullptr;
        free(o);
      }
      continue;
    }
    int e = SSL_get_error(c->ssl, n);
    if (e == SSL_ERROR_WANT_WRITE) break;
    if (e == SSL_ERROR_WANT_READ) {
      c->writeWantsRead = true;
      break;
    }
    if (e == SSL_ERROR_SYSCALL && errno == EINTR) continue;
    ok = false;
    break;
  }
  if (sent) {
    char buf[24];
    int len = snprintf(buf, sizeof buf, "%zu", sent);
    post(c->id, kSent, buf, size_t(len));
  }
  if (!ok) {
    kill(c, "write error");
    return false;
  }
  return true;
}

// --- TLS 1.3 connections after the handshake (tls13_record.h) -----------------------------------

/**
 * Writes what the socket takes of one buffer; keeps the rest in c->pending. False (the connection
 * killed) on an error.
 */
bool sendOrKeep(Conn* c, const uint8_t* data, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = send(c->tcp, data + done, len - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    kill(c, "write error");
    return false;
  }
  if (done < len) {
    c->pending = static_cast<uint8_t*>(malloc(len - done));
    if (!c->pending) {
      kill(c, "out of memory");
      return false;
    }
    memcpy(c->pending, data + done, len - done);
    c->pendingOff = 0;
    c->pendingLen = uint32_t(len - done);
  }
  return true;
}

/** Sealed bytes left from an earlier pass; false if the connection was killed. */
bool flushPending(Conn* c) {
  while (c->pendingLen) {
    ssize_t n = send(c->tcp, c->pending + c->pendingOff, c->pendingLen, MSG_NOSIGNAL);
    if (n > 0) {
      c->pendingOff += uint32_t(n);
      c->pendingLen -= uint32_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    kill(c, "write error");
    return false;
  }
  free(c->pending);
  c->pending = nullptr;
  c->pendingOff = 0;
  return true;
}

/** A short record (alert, KeyUpdate) sealed and written, or kept if the socket is full. */
bool sendControl(Conn* c, uint8_t type, const uint8_t* body, size_t len) {
  uint8_t rec[tls13::kOverhead + 8];
  memcpy(rec + tls13::kHeader, body, len);
  size_t n = tls13::seal(*c->keys, type, rec, len);
  if (!n) {
    kill(c, "cannot seal a record");
    return false;
  }
  if (c->pendingLen) {  // after what is already waiting, in order
    auto* grown = static_cast<uint8_t*>(malloc(c->pendingLen + n));
    if (!grown) {
      kill(c, "out of memory");
      return false;
    }
    memcpy(grown, c->pending + c->pendingOff, c->pendingLen);
    memcpy(grown + c->pendingLen, rec, n);
    free(c->pending);
    c->pending = grown;
    c->pendingOff = 0;
    c->pendingLen += uint32_t(n);
    return true;
  }
  return sendOrKeep(c, rec, n);
}

/**
 * An alert just before the connection closes: best effort, written only if nothing else waits and
 * only what the socket takes at once (the connection is closed right after either way).
 */
void alertBeforeClose(Conn* c, uint8_t level, uint8_t description) {
  if (!c->keys || c->pendingLen) return;
  uint8_t rec[tls13::kOverhead + 2];
  rec[tls13::kHeader] = level;
  rec[tls13::kHeader + 1] = description;
  if (size_t n = tls13::seal(*c->keys, tls13::kAlert, rec, 2)) {
    ssize_t ignored = send(c->tcp, rec, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
  }
}

/** A fatal alert, then the close. */
void failWithAlert(Conn* c, uint8_t description, const char* why) {
  alertBeforeClose(c, 2 /* fatal */, description);
  kill(c, why);
}

constexpr uint8_t kAlertUnexpectedMessage = 10;
constexpr uint8_t kAlertBadRecordMac = 20;
constexpr uint8_t kAlertRecordOverflow = 22;
constexpr uint8_t kAlertDecodeError = 50;

/**
 * Handshake messages after the handshake. From a client to a server only KeyUpdate can come
 * (NewSessionTicket and CertificateRequest go the other way; there is no post-handshake client
 * authentication here). False if the connection was killed.
 */
bool onPostHandshake(Conn* c, const uint8_t* p, size_t n) {
  if (n == 0) {  // zero-length handshake fragments are forbidden (§5.1)
    failWithAlert(c, kAlertUnexpectedMessage, "empty handshake record");
    return false;
  }
  while (n) {
    if (n < 4) {  // split across records: legal, but no client does it for a 5-byte message
      failWithAlert(c, kAlertUnexpectedMessage, "fragmented handshake message");
      return false;
    }
    size_t len = size_t(p[1]) << 16 | size_t(p[2]) << 8 | p[3];
    if (p[0] != 24 /* key_update */) {
      failWithAlert(c, kAlertUnexpectedMessage, "unexpected handshake message");
      return false;
    }
    if (len != 1 || n != 5 || p[4] > 1) {
      // A KeyUpdate is one byte, and the last message under the old key (§5.1).
      failWithAlert(c, kAlertDecodeError, "malformed KeyUpdate");
      return false;
    }
    if (!tls13::update(*c->keys, c->keys->read)) {
      kill(c, "cannot update the read key");
      return false;
    }
    if (p[4] == 1) c->keyUpdateDue = true;  // update_requested: ours goes before our next record
    return true;
  }
  return true;
}

/** The client sent close_notify or closed its side: nothing more to read, JS hears END. */
void clientEnded(Conn* c) {
  c->tcpEof = true;
  dropIn(c);
  postText(c->id, kEnd, "");
}

/** Client -> JS for a TLS 1.3 connection. Returns false if the connection was killed. */
bool pumpInRecords(Conn* c) {
  tls13::Keys& k = *c->keys;
  while (!c->tcpEof && c->unacked < kMaxUnacked) {
    // Idle connections hold no buffer: reads land in the thread's, and only an incomplete record
    // is copied into one of the connection's own until its end arrives.
    uint8_t* buf = c->in ? c->in : g_recv;
    size_t have = c->in ? c->inLen : 0;
    size_t cap = c->in ? tls13::kMaxRecord : sizeof g_recv;
    ssize_t got = recv(c->tcp, buf + have, cap - have, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      kill(c, "read error");
      return false;
    }
    if (got == 0) {  // EOF without close_notify: the end of the stream (SSL_OP_IGNORE_UNEXPECTED_EOF)
      clientEnded(c);
      return true;
    }
    have += size_t(got);
    // Records are opened in place and their contents moved down to `plainEnd`, so one DATA event
    // carries every complete record of this read.
    size_t off = 0, plainEnd = 0;
    bool ended = false;
    auto flushData = [&]() -> bool {
      if (!plainEnd) return true;
      if (!post(c->id, kData, reinterpret_cast<char*>(buf), plainEnd)) {
        kill(c, "cannot hand data to JS");
        return false;
      }
      c->unacked += plainEnd;
      plainEnd = 0;
      return true;
    };
    while (have - off >= tls13::kHeader) {
      uint8_t* rec = buf + off;
      size_t len = size_t(rec[3]) << 8 | rec[4];
      if (rec[0] != tls13::kApplicationData || rec[1] != 3 || rec[2] != 3) {
        flushData();
        if (!c->dead) failWithAlert(c, kAlertUnexpectedMessage, "unexpected record");
        return false;
      }
      if (len > tls13::kMaxCipher) {
        flushData();
        if (!c->dead) failWithAlert(c, kAlertRecordOverflow, "record too long");
        return false;
      }
      if (have - off < tls13::kHeader + len) break;
      uint8_t type = 0;
      uint8_t* plain = nullptr;
      size_t plainLen = 0;
      off += tls13::kHeader + len;
      if (!tls13::open(k, rec, tls13::kHeader + len, type, plain, plainLen)) {
        flushData();
        if (!c->dead) failWithAlert(c, kAlertBadRecordMac, "record not authentic");
        return false;
      }
      if (type == tls13::kApplicationData) {
        memmove(buf + plainEnd, plain, plainLen);
        plainEnd += plainLen;
        continue;
      }
      if (!flushData()) return false;
      if (type == tls13::kAlert && plainLen == 2 && plain[1] == 0) {  // close_notify
        ended = true;
        break;
      }
      if (type == tls13::kAlert) {
        kill(c, "alert from the client");
        return false;
      }
      if (type != tls13::kHandshake) {
        failWithAlert(c, kAlertUnexpectedMessage, "unexpected content type");
        return false;
      }
      if (!onPostHandshake(c, plain, plainLen)) return false;
    }
    if (!flushData()) return false;
    if (ended) {  // what follows close_notify is ignored
      clientEnded(c);
      return true;
    }
    size_t rest = have - off;
    if (rest == 0) {
      dropIn(c);
    } else if (buf == c->in) {
      memmove(c->in, c->in + off, rest);
      c->inLen = uint32_t(rest);
    } else {
      c->in = static_cast<uint8_t*>(malloc(tls13::kMaxRecord));
      if (!c->in) {
        kill(c, "out of memory");
        return false;
      }
      memcpy(c->in, buf + off, rest);
      c->inLen = uint32_t(rest);
    }
  }
  return true;  // JS holds enough: the client waits (in the kernel, then in its own buffers)
}

/** JS -> client for a TLS 1.3 connection. Returns false if the connection was killed. */
bool pumpOutRecords(Conn* c) {
  tls13::Keys& k = *c->keys;
  if (!flushPending(c)) return false;
  size_t sealed = 0;
  // Our key is renewed when the client asks (KeyUpdate update_requested) or before it wears out.
  auto rekeyDue = [&]() { return c->keyUpdateDue || k.write.seq + 1 >= kRekeyAfter; };
  while (!c->pendingLen && (c->outHead || rekeyDue())) {
    if (rekeyDue()) {
      const uint8_t keyUpdate[5] = {24, 0, 0, 1, 0};  // update_not_requested
      if (!sendControl(c, tls13::kHandshake, keyUpdate, sizeof keyUpdate)) return false;
      if (!tls13::update(k, k.write)) {
        kill(c, "cannot update the write key");
        return false;
      }
      c->keyUpdateDue = false;
      continue;
    }
    // Fill the batch with full records straight from JS's chunks, then one send().
    size_t used = 0;
    while (c->outHead && used + tls13::kMaxRecord <= sizeof g_send && !rekeyDue()) {
      uint8_t* body = g_send + used + tls13::kHeader;
      size_t n = 0;
      while (Out* o = c->outHead) {
        size_t take = o->len < tls13::kMaxPlain - n ? o->len : tls13::kMaxPlain - n;
        memcpy(body + n, o->data + o->off, take);
        n += take;
        o->off += take;
        o->len -= take;
        if (o->len == 0) {
          c->outHead = o->next;
          if (!c->outHead) c->outTail = nullptr;
          free(o);
        }
        if (n == tls13::kMaxPlain) break;
      }
      size_t recLen = tls13::seal(k, tls13::kApplicationData, g_send + used, n);
      if (!recLen) {
        kill(c, "cannot seal a record");
        return false;
      }
      used += recLen;
      sealed += n;
    }
    if (used && !sendOrKeep(c, g_send, used)) return false;
  }
  if (sealed) {
    char buf[24];
    int len = snprintf(buf, sizeof buf, "%zu", sealed);
    post(c->id, kSent, buf, size_t(len));
  }
  return true;
}

/**
 * After a TLS 1.3 handshake with one of the three usual suites: take the traffic secrets and free
 * the SSL object. Anything else (TLS 1.2, a CCM suite, bytes OpenSSL still holds) keeps OpenSSL.
 */
void detach(Conn* c) {
  Secrets* s = c->secrets;
  tls13::Suite suite;
  const SSL_CIPHER* cipher = SSL_get_current_cipher(c->ssl);
  if (!s || SSL_version(c->ssl) != TLS1_3_VERSION || !cipher || !tls13::suiteFor(SSL_CIPHER_get_id(cipher), suite) ||
      s->clientLen != tls13::hashLength(suite) || s->serverLen != s->clientLen || SSL_has_pending(c->ssl)) {
    dropSecrets(c);
    return;
  }
  auto* keys = new tls13::Keys;
  if (!tls13::init(*keys, suite, s->client, s->server, c->ticketsSent)) {
    delete keys;
    dropSecrets(c);
    return;
  }
  dropSecrets(c);
  SSL_free(c->ssl);  // the descriptor stays: SSL_set_fd's BIO does not own it
  c->ssl = nullptr;
  c->keys = keys;
  g_detached.fetch_add(1);
}

void service(Conn* c, uint32_t events) {
  if (c->dead) return;
  if (c->state == State::Handshake) {
    if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) {
      kill(c, "client closed during the handshake");
      return;
    }
    ERR_clear_error();
    errno = 0;
    int r = SSL_accept(c->ssl);
    if (r == 1) {
      c->state = State::Open;
      c->deadline = 0;
      const char* proto = SSL_get_version(c->ssl);
      const char* cipher = SSL_get_cipher_name(c->ssl);
      char buf[96];
      int n = snprintf(buf, sizeof buf, "%s%c%s", proto ? proto : "", 0, cipher ? cipher : "");
      if (!post(c->id, kOpen, buf, size_t(n))) {
        kill(c, "cannot hand the session to JS");
        return;
      }
      detach(c);
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
  if (events & (EPOLLERR | EPOLLHUP)) {
    kill(c, nullptr);  // the client is gone both ways: nothing more can reach it
    return;
  }
  if (c->jsEnded && !c->outHead && !c->pendingLen) {
    // Everything JS wrote has been handed to TLS: say close_notify (best effort) and close.
    if (c->keys) {
      alertBeforeClose(c, 1 /* warning */, 0 /* close_notify */);
    } else {
      ERR_clear_error();
      SSL_shutdown(c->ssl);
    }
    kill(c, nullptr);
    return;
  }
  if (c->jsEnded && c->deadline == 0) c->deadline = nowMs() + kCloseLingerMs;
  rearm(c);
}

void reapDead() {
  while (g_dead) {
    Conn* c = g_dead;
    g_dead = c->nextDead;
    delete c;
  }
}

/** New connections, then JS's calls in the order it made them. */
void drainQueues() {
  std::vector<Conn*> batch;
  std::vector<Cmd> cmds;
  g_wakePending.store(false);  // from here, a new call writes the eventfd again
  {
    std::lock_guard<std::mutex> lock(g_mu);
    batch.swap(g_incoming);
    cmds.swap(g_cmds);
  }
  for (Conn* c : batch) {
    c->next = g_all;
    if (g_all) g_all->prev = c;
    g_all = c;
    g_byId[c->id] = c;
    SSL* ssl = SSL_new(c->ctx);  // takes its own reference on the context
    SSL_CTX_free(c->ctx);
    c->ctx = nullptr;
    if (!ssl || SSL_set_fd(ssl, c->tcp) != 1) {
      if (ssl) SSL_free(ssl);
      ERR_clear_error();
      kill(c, "SSL_new failed");
      continue;
    }
    c->ssl = ssl;
    SSL_set_app_data(ssl, c);  // for the key log and ticket callbacks
    service(c, 0);  // SSL_accept: usually WANT_READ, and the ClientHello may be there already
  }
  // Commands first change state, then each connection touched is serviced once (a burst of sends
  // becomes one pass of SSL_write calls).
  std::vector<Conn*> touched;
  for (Cmd& m : cmds) {
    auto it = g_byId.find(m.id);
    Conn* c = it == g_byId.end() ? nullptr : it->second;
    if (!c || c->dead) {  // already gone (the client left): its CLOSE is on its way to JS
      free(m.out);
      continue;
    }
    switch (m.kind) {
      case kSend:
        if (c->jsEnded) {
          free(m.out);
          break;
        }
        m.out->next = nullptr;
        if (c->outTail) c->outTail->next = m.out;
        else c->outHead = m.out;
        c->outTail = m.out;
        break;
      case kEndCmd:
        c->jsEnded = true;
        c->tcpEof = true;  // what the client sends now has nobody to go to
        break;
      case kDestroy:
        kill(c, nullptr);
        continue;
      case kAck:
        c->unacked = m.n >= c->unacked ? 0 : c->unacked - m.n;
        break;
      case kCancel:
        if (c->state == State::Handshake) kill(c, "cancelled");
        continue;
    }
    touched.push_back(c);
  }
  for (Conn* c : touched)
    if (!c->dead && c->state == State::Open) service(c, 0);
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
      Conn* c = static_cast<Conn*>(events[i].data.ptr);
      if (!c) {
        uint64_t v;
        while (read(g_wake, &v, sizeof v) < 0 && errno == EINTR) {
        }
        continue;
      }
      service(c, events[i].events);
    }
    reapDead();
    drainQueues();
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

/** onEvent(kind, id, arg, arg2): DATA a Buffer (a copy), SENT a count, OPEN protocol and cipher. */
void callJs(napi_env env, napi_value cb, void*, void* data) {
  auto* e = static_cast<Ev*>(data);
  if (!env) {  // the function is being torn down
    free(e);
    return;
  }
  napi_value argv[4], undef;
  napi_get_undefined(env, &undef);
  napi_create_uint32(env, e->kind, &argv[0]);
  napi_create_uint32(env, e->id, &argv[1]);
  argv[2] = undef;
  argv[3] = undef;
  switch (e->kind) {
    case kOpen:
      napi_create_string_utf8(env, e->data, NAPI_AUTO_LENGTH, &argv[2]);
      napi_create_string_utf8(env, e->data + strlen(e->data) + 1, NAPI_AUTO_LENGTH, &argv[3]);
      break;
    case kData:
      napi_create_buffer_copy(env, e->n, e->data, nullptr, &argv[2]);
      break;
    case kSent:
      napi_create_double(env, strtod(e->data, nullptr), &argv[2]);
      break;
    default:
      napi_create_string_utf8(env, e->data, e->n, &argv[2]);
  }
  free(e);
  napi_call_function(env, undef, cb, 4, argv, nullptr);
}

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

/** 0-9a-f pairs to bytes; the number of bytes, 0 if malformed or too long. */
size_t fromHex(const char* hex, uint8_t* out, size_t max) {
  size_t n = 0;
  auto nibble = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  for (; hex[0] && hex[1]; hex += 2) {
    int hi = nibble(hex[0]), lo = nibble(hex[1]);
    if (hi < 0 || lo < 0 || n == max) return 0;
    out[n++] = uint8_t(hi << 4 | lo);
  }
  return hex[0] ? 0 : n;
}

/**
 * OpenSSL's key log line ("LABEL <client random> <secret>", NSS's format): the two application
 * traffic secrets are kept for detach(); nothing is written anywhere.
 */
void onKeyLog(const SSL* ssl, const char* line) {
  auto* c = static_cast<Conn*>(SSL_get_app_data(ssl));
  if (!c) return;
  bool client = strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0;
  bool server = !client && strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0;
  if (!client && !server) return;
  const char* hex = strrchr(line, ' ');
  if (!hex) return;
  if (!c->secrets) c->secrets = new (std::nothrow) Secrets{};
  if (!c->secrets) return;  // the connection then stays with OpenSSL
  uint8_t* dst = client ? c->secrets->client : c->secrets->server;
  size_t n = fromHex(hex + 1, dst, tls13::kMaxSecret);
  (client ? c->secrets->clientLen : c->secrets->serverLen) = uint8_t(n);
}

/** Called once per NewSessionTicket OpenSSL writes: each is one record under our traffic key. */
int onTicket(SSL* ssl, void*) {
  auto* c = static_cast<Conn*>(SSL_get_app_data(ssl));
  if (c && c->ticketsSent < 255) c->ticketsSent++;
  return 1;
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
  // TLS 1.3 connections leave OpenSSL after the handshake (detach()): these two callbacks tell it
  // the traffic secrets and how many records OpenSSL already sent under the server's.
  SSL_CTX_set_keylog_callback(ctx, onKeyLog);
  SSL_CTX_set_session_ticket_cb(ctx, onTicket, nullptr, nullptr);
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
 * connection's id, which its events carry.
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
  // The duplicate is the one descriptor the connection needs: running out of them (EMFILE) is an
  // error here, which JS answers by using Node's TLS for this connection, not a handshake cut later.
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return throwError(env, strerror(errno));
  int flags = fcntl(own, F_GETFL);
  if (flags < 0 || fcntl(own, F_SETFL, flags | O_NONBLOCK) != 0) {
    close(own);
    return throwError(env, "cannot make the socket non-blocking");
  }
  // SSL_new (tens of microseconds: it copies the context's certificate settings) is left to the TLS
  // thread, off the JavaScript thread; the context is kept alive until then.
  SSL_CTX_up_ref(ctx);
  auto* c = new Conn{};
  c->id = g_nextId.fetch_add(1);
  if (c->id == 0) c->id = g_nextId.fetch_add(1);  // 0 is never an id
  c->tcp = own;
  c->ctx = ctx;
  c->deadline = timeoutMs > 0 ? nowMs() + timeoutMs : 0;
  g_live.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_incoming.push_back(c);
  }
  wakeThread();
  napi_value id;
  napi_create_uint32(env, c->id, &id);
  return id;
}

void pushCmd(const Cmd& m) {
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_cmds.push_back(m);
  }
  wakeThread();
}

/** The id (and a count) every command takes; false (with a JS exception) if they are missing. */
bool idArgs(napi_env env, napi_callback_info info, uint32_t& id, napi_value* second) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &id) != napi_ok) {
    throwError(env, "an id is needed");
    return false;
  }
  if (second) {
    if (argc < 2) {
      throwError(env, "a second argument is needed");
      return false;
    }
    *second = argv[1];
  }
  return true;
}

/** send(id, buffer): the bytes are copied; the thread writes them in order and posts SENT. */
napi_value Send(napi_env env, napi_callback_info info) {
  uint32_t id;
  napi_value b;
  if (!idArgs(env, info, id, &b)) return nullptr;
  void* data = nullptr;
  size_t len = 0;
  bool isBuf = false;
  if (napi_is_buffer(env, b, &isBuf) != napi_ok || !isBuf || napi_get_buffer_info(env, b, &data, &len) != napi_ok)
    return throwError(env, "send(id, buffer): a Buffer is needed");
  if (!g_running || len == 0) return nullptr;
  auto* o = static_cast<Out*>(malloc(sizeof(Out) + len));
  if (!o) return throwError(env, "out of memory");
  o->next = nullptr;
  o->off = 0;
  o->len = len;
  memcpy(o->data, data, len);
  pushCmd(Cmd{kSend, id, len, o});
  return nullptr;
}

napi_value simpleCmd(napi_env env, napi_callback_info info, CmdKind kind) {
  uint32_t id;
  if (!idArgs(env, info, id, nullptr)) return nullptr;
  if (g_running) pushCmd(Cmd{kind, id, 0, nullptr});
  return nullptr;
}
/** end(id): what was sent is flushed, then close_notify and close (CLOSE follows). */
napi_value End(napi_env env, napi_callback_info info) { return simpleCmd(env, info, kEndCmd); }
/** destroy(id): closed at once; what was not yet written is dropped (CLOSE follows). */
napi_value Destroy(napi_env env, napi_callback_info info) { return simpleCmd(env, info, kDestroy); }
/** cancel(id): drops a connection still in its handshake (its listener is closing). */
napi_value Cancel(napi_env env, napi_callback_info info) { return simpleCmd(env, info, kCancel); }

/** ack(id, n): JS delivered n more bytes of DATA; the client is read again below kMaxUnacked. */
napi_value Ack(napi_env env, napi_callback_info info) {
  uint32_t id;
  napi_value v;
  if (!idArgs(env, info, id, &v)) return nullptr;
  int64_t n = 0;
  if (napi_get_value_int64(env, v, &n) != napi_ok || n < 0) return throwError(env, "ack(id, n): a count is needed");
  if (g_running && n > 0) pushCmd(Cmd{kAck, id, size_t(n), nullptr});
  return nullptr;
}

/** live(): connections held (handshaking or open), for tests and the shutdown log. */
napi_value Live(napi_env env, napi_callback_info) {
  napi_value v;
  napi_create_uint32(env, g_live.load(), &v);
  return v;
}

/** stats(): { live, ownRecords }: connections held, and how many of them no longer hold OpenSSL. */
napi_value Stats(napi_env env, napi_callback_info) {
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_uint32(env, g_live.load(), &v);
  napi_set_named_property(env, o, "live", v);
  napi_create_uint32(env, g_detached.load(), &v);
  napi_set_named_property(env, o, "ownRecords", v);
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"start", nullptr, Start, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createContext", nullptr, CreateContext, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adopt", nullptr, Adopt, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"send", nullptr, Send, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"end", nullptr, End, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"destroy", nullptr, Destroy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ack", nullptr, Ack, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"cancel", nullptr, Cancel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"live", nullptr, Live, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
