// See tls13_record.h.
#include "tls13_record.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include <string.h>

namespace tls13 {
namespace {

const EVP_MD* digestOf(Suite s) { return s == Suite::Aes256Gcm ? EVP_sha384() : EVP_sha256(); }

/**
 * One context per suite and direction, made once: a record then only sets the key and nonce, so
 * OpenSSL's provider state is not built and torn down per record.
 */
EVP_CIPHER_CTX* g_ctx[3][2];

EVP_CIPHER_CTX* contextFor(Suite s, bool encrypt) {
  EVP_CIPHER_CTX*& slot = g_ctx[int(s)][encrypt ? 1 : 0];
  if (slot) return slot;
  static const char* const names[] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"};
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, names[int(s)], nullptr);
  EVP_CIPHER_CTX* ctx = cipher ? EVP_CIPHER_CTX_new() : nullptr;
  // The AEADs' default nonce length is 12 bytes, which is TLS 1.3's.
  if (!ctx || EVP_CipherInit_ex(ctx, cipher, nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    return nullptr;
  }
  EVP_CIPHER_free(cipher);  // the context holds its own reference
  slot = ctx;
  return slot;
}

/**
 * HKDF-Expand-Label(secret, label, "", length) (§7.1) for length <= the hash length, which is every
 * use here (keys, IVs, the next secret): HKDF-Expand is then a single HMAC block.
 */
bool expandLabel(Suite s, const uint8_t* secret, const char* label, uint8_t* out, size_t length) {
  size_t hashLen = hashLength(s);
  size_t labelLen = strlen(label);
  if (length > hashLen || labelLen > 200) return false;
  uint8_t info[2 + 1 + 6 + 200 + 1 + 1];
  size_t n = 0;
  info[n++] = uint8_t(length >> 8);
  info[n++] = uint8_t(length);
  info[n++] = uint8_t(6 + labelLen);
  memcpy(info + n, "tls13 ", 6);
  n += 6;
  memcpy(info + n, label, labelLen);
  n += labelLen;
  info[n++] = 0;  // empty context
  info[n++] = 1;  // HKDF-Expand's block counter
  uint8_t block[EVP_MAX_MD_SIZE];
  unsigned int blockLen = 0;
  if (!HMAC(digestOf(s), secret, int(hashLen), info, n, block, &blockLen) || blockLen != hashLen) return false;
  memcpy(out, block, length);
  OPENSSL_cleanse(block, sizeof block);
  return true;
}

/** key and iv from the direction's secret (§7.3). */
bool deriveKeys(const Keys& k, Direction& d) {
  return expandLabel(k.suite, d.secret, "key", d.key, k.keyLen) &&
         expandLabel(k.suite, d.secret, "iv", d.iv, sizeof d.iv);
}

/** The per-record nonce: the IV XOR the sequence number, big-endian, right-aligned (§5.3). */
void nonceFor(const Direction& d, uint8_t nonce[12]) {
  memcpy(nonce, d.iv, 12);
  for (int i = 0; i < 8; i++) nonce[11 - i] ^= uint8_t(d.seq >> (8 * i));
}

}  // namespace

bool suiteFor(uint32_t cipherId, Suite& suite) {
  switch (cipherId) {
    case 0x03001301:
      suite = Suite::Aes128Gcm;
      return true;
    case 0x03001302:
      suite = Suite::Aes256Gcm;
      return true;
    case 0x03001303:
      suite = Suite::Chacha20Poly1305;
      return true;
    default:
      return false;
  }
}

size_t hashLength(Suite suite) { return suite == Suite::Aes256Gcm ? 48 : 32; }

bool init(Keys& k, Suite suite, const uint8_t* clientSecret, const uint8_t* serverSecret, uint64_t writeSeq) {
  memset(&k, 0, sizeof k);
  k.suite = suite;
  k.hashLen = uint8_t(hashLength(suite));
  k.keyLen = suite == Suite::Aes128Gcm ? 16 : 32;
  memcpy(k.read.secret, clientSecret, k.hashLen);
  memcpy(k.write.secret, serverSecret, k.hashLen);
  k.write.seq = writeSeq;
  if (!contextFor(suite, true) || !contextFor(suite, false) || !deriveKeys(k, k.read) || !deriveKeys(k, k.write)) {
    wipe(k);
    return false;
  }
  return true;
}

bool update(Keys& k, Direction& d) {
  uint8_t next[kMaxSecret];
  if (!expandLabel(k.suite, d.secret, "traffic upd", next, k.hashLen)) return false;
  memcpy(d.secret, next, k.hashLen);
  OPENSSL_cleanse(next, sizeof next);
  d.seq = 0;
  return deriveKeys(k, d);
}

size_t seal(Keys& k, uint8_t type, uint8_t* rec, size_t len) {
  Direction& d = k.write;
  EVP_CIPHER_CTX* ctx = contextFor(k.suite, true);
  // A sequence number must never repeat under one key (§5.3); the writer rekeys long before.
  if (!ctx || len > kMaxPlain || d.seq == UINT64_MAX) return 0;
  size_t inner = len + 1;  // TLSInnerPlaintext: content, type, no padding
  size_t clen = inner + kTag;
  rec[0] = kApplicationData;  // the outer type of every protected record
  rec[1] = 3;
  rec[2] = 3;
  rec[3] = uint8_t(clen >> 8);
  rec[4] = uint8_t(clen);
  uint8_t* body = rec + kHeader;
  body[len] = type;
  uint8_t nonce[12];
  nonceFor(d, nonce);
  int outl = 0, finl = 0;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, d.key, nonce, 1) != 1 ||
      EVP_CipherUpdate(ctx, nullptr, &outl, rec, int(kHeader)) != 1 ||
      EVP_CipherUpdate(ctx, body, &outl, body, int(inner)) != 1 ||
      EVP_CipherFinal_ex(ctx, body + outl, &finl) != 1 || size_t(outl + finl) != inner ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, int(kTag), body + inner) != 1)
    return 0;
  d.seq++;
  return kHeader + clen;
}

bool open(Keys& k, uint8_t* rec, size_t recLen, uint8_t& type, uint8_t*& plain, size_t& plainLen) {
  Direction& d = k.read;
  EVP_CIPHER_CTX* ctx = contextFor(k.suite, false);
  if (!ctx || recLen < kHeader + 1 + kTag || recLen > kMaxRecord || d.seq == UINT64_MAX) return false;
  size_t clen = recLen - kHeader;
  size_t inner = clen - kTag;
  uint8_t* body = rec + kHeader;
  uint8_t nonce[12];
  nonceFor(d, nonce);
  int outl = 0, finl = 0;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, d.key, nonce, 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, int(kTag), body + inner) != 1 ||
      EVP_CipherUpdate(ctx, nullptr, &outl, rec, int(kHeader)) != 1 ||
      EVP_CipherUpdate(ctx, body, &outl, body, int(inner)) != 1 ||
      EVP_CipherFinal_ex(ctx, body + outl, &finl) != 1 || size_t(outl + finl) != inner)
    return false;  // not authentic: the caller closes the connection (bad_record_mac)
  d.seq++;
  // The real type is the last non-zero byte; zeros after it are padding (§5.4).
  size_t i = inner;
  while (i > 0 && body[i - 1] == 0) i--;
  if (i == 0 || i - 1 > kMaxPlain) return false;
  type = body[i - 1];
  plain = body;
  plainLen = i - 1;
  return true;
}

void wipe(Keys& k) { OPENSSL_cleanse(&k, sizeof k); }

}  // namespace tls13
