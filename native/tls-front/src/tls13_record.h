// TLS 1.3 record protection (RFC 8446 §5.2–5.5, key schedule §7.1–7.3, KeyUpdate §4.6.3) for
// connections whose handshake OpenSSL has finished.
//
// Why: once a TLS 1.3 handshake is over, what a connection needs is two traffic secrets, the keys
// derived from them and two sequence numbers — a few hundred bytes. OpenSSL 3.0 keeps ~14 kB per
// idle connection instead (measured: SSL_new alone 8.7 kB — the SSL struct embeds its record layer's
// arrays for 32 pipelines —, then the session, two cipher contexts with their provider state and
// the handshake digest). 10,000 idle IMAPS sessions cannot fit in 300 MB that way. So, as the
// kernel's kTLS does with the same secrets, the TLS thread takes the traffic secrets from OpenSSL's
// key log callback, frees the SSL object and protects the records itself; the cryptography is
// still OpenSSL's (EVP AEADs, HMAC).
//
// Everything here runs on the TLS thread only (the cipher contexts are shared by all connections).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace tls13 {

constexpr size_t kHeader = 5;
constexpr size_t kMaxPlain = 16384;             // 2^14: TLSInnerPlaintext content (§5.1)
constexpr size_t kMaxCipher = kMaxPlain + 256;  // TLSCiphertext.length limit (§5.2)
constexpr size_t kMaxRecord = kHeader + kMaxCipher;
constexpr size_t kTag = 16;
constexpr size_t kMaxSecret = 48;  // SHA-384
/** Room a sealed record needs beyond its plaintext: header, content type, tag. */
constexpr size_t kOverhead = kHeader + 1 + kTag;

enum ContentType : uint8_t { kAlert = 21, kHandshake = 22, kApplicationData = 23 };

enum class Suite : uint8_t { Aes128Gcm, Aes256Gcm, Chacha20Poly1305 };

/** One direction: its traffic secret (kept for KeyUpdate), key, IV and record sequence number. */
struct Direction {
  uint8_t secret[kMaxSecret];
  uint8_t key[32];
  uint8_t iv[12];
  uint64_t seq;
};

struct Keys {
  Suite suite;
  uint8_t hashLen;  // 32 (SHA-256) or 48 (SHA-384)
  uint8_t keyLen;   // 16 or 32
  Direction read;   // the client's records
  Direction write;  // ours
};

/** The suite of an OpenSSL cipher id (SSL_CIPHER_get_id); false for a suite not done here (CCM). */
bool suiteFor(uint32_t cipherId, Suite& suite);

/** The hash length of a suite's key schedule. */
size_t hashLength(Suite suite);

/**
 * Keys from the two application traffic secrets (each hashLength(suite) bytes). writeSeq: records
 * already sent under the server's secret (the session tickets OpenSSL wrote after the handshake).
 */
bool init(Keys& k, Suite suite, const uint8_t* clientSecret, const uint8_t* serverSecret, uint64_t writeSeq);

/** The next generation of one direction's secret and keys, sequence number back to 0 (KeyUpdate). */
bool update(Keys& k, Direction& d);

/**
 * Seals one record in place: rec + kHeader holds len bytes of content (len <= kMaxPlain) and the
 * buffer has kOverhead - kHeader bytes of room after them. Returns the record's size, 0 on failure.
 */
size_t seal(Keys& k, uint8_t type, uint8_t* rec, size_t len);

/**
 * Opens one whole record in place (header included). On success, type is the real content type and
 * [plain, plain + plainLen) the content; false if it is malformed or not authentic.
 */
bool open(Keys& k, uint8_t* rec, size_t recLen, uint8_t& type, uint8_t*& plain, size_t& plainLen);

/** Clears the secrets and keys. */
void wipe(Keys& k);

}  // namespace tls13
