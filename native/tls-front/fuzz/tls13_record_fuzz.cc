// libFuzzer harness for the front's own TLS 1.3 record layer (../src/tls13_record.cc), built and run by
// bench/fuzz-tls13.sh with AddressSanitizer and UBSan against the system's OpenSSL 3.
//
// The first input byte picks the suite, the second the mode:
//  - even: the rest is a stream of records as a client would send them (header, then body), opened one
//    by one the way the TLS thread does: whatever the bytes, open() must only say yes or no;
//  - odd: round trips. The rest is plaintext, sealed by one side and opened by the other, before and
//    after a KeyUpdate of that direction; the plaintext and its type must come back, and the same
//    record with one byte flipped (where the input says) must be refused.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <initializer_list>

#include "../src/tls13_record.h"

namespace {

void fail(const char* what) {
  __builtin_trap();
  (void)what;
}

/** Keys for a connection whose client secret is `a` and server secret `b` (bytes of the secrets). */
bool keysFor(tls13::Keys& k, tls13::Suite s, uint8_t a, uint8_t b) {
  uint8_t client[tls13::kMaxSecret], server[tls13::kMaxSecret];
  memset(client, a, sizeof client);
  memset(server, b, sizeof server);
  return tls13::init(k, s, client, server, 0);
}

void streamOfRecords(tls13::Suite s, const uint8_t* p, size_t n) {
  tls13::Keys k;
  if (!keysFor(k, s, 1, 2)) fail("init");
  static uint8_t rec[tls13::kMaxRecord];
  while (n >= tls13::kHeader) {
    size_t len = size_t(p[3]) << 8 | p[4];
    if (len > tls13::kMaxCipher) return;  // the TLS thread refuses such a header before open()
    size_t whole = tls13::kHeader + len;
    if (n < whole) return;
    memcpy(rec, p, whole);
    uint8_t type = 0;
    uint8_t* plain = nullptr;
    size_t plainLen = 0;
    if (tls13::open(k, rec, whole, type, plain, plainLen)) {
      // Only a forgery of the AEAD could get here; if it does, the span must still lie in the record.
      if (plain < rec + tls13::kHeader || plain + plainLen > rec + whole) fail("span");
    }
    p += whole;
    n -= whole;
  }
}

void roundTrips(tls13::Suite s, const uint8_t* p, size_t n) {
  if (n == 0) return;
  // The sender's write direction is the receiver's read direction: both from secret 7.
  tls13::Keys sender, receiver;
  if (!keysFor(sender, s, 9, 7) || !keysFor(receiver, s, 7, 9)) fail("init");
  size_t flip = p[0];
  p++;
  n--;
  if (n > tls13::kMaxPlain) n = tls13::kMaxPlain;
  static uint8_t rec[tls13::kMaxRecord];
  for (int generation = 0; generation < 2; generation++) {
    for (uint8_t type : {uint8_t(tls13::kApplicationData), uint8_t(tls13::kHandshake)}) {
      memcpy(rec + tls13::kHeader, p, n);
      size_t len = tls13::seal(sender, type, rec, n);
      if (len != tls13::kOverhead + n) fail("seal");
      static uint8_t copy[tls13::kMaxRecord];
      memcpy(copy, rec, len);
      uint8_t got = 0;
      uint8_t* plain = nullptr;
      size_t plainLen = 0;
      if (!tls13::open(receiver, rec, len, got, plain, plainLen)) fail("open");
      // Trailing zero bytes of the content cannot be told from padding: that is TLS 1.3's framing.
      size_t expect = n;
      if (got != type || plainLen > expect || memcmp(plain, p, plainLen) != 0) fail("round trip");
      for (size_t i = plainLen; i < expect; i++)
        if (p[i] != 0) fail("content lost");
      // One byte changed anywhere after the length: refused (the header is authenticated data).
      size_t at = flip % len;
      if (at == 3 || at == 4) at = 0;  // a changed length is caught before open() by the framing
      copy[at] ^= 0x01;
      tls13::Keys probe = receiver;
      probe.read.seq--;  // the same record number again
      if (tls13::open(probe, copy, len, got, plain, plainLen)) fail("tampered record accepted");
    }
    if (!tls13::update(sender, sender.write) || !tls13::update(receiver, receiver.read)) fail("update");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  tls13::Suite s = tls13::Suite(data[0] % 3);
  if (data[1] & 1) roundTrips(s, data + 2, size - 2);
  else streamOfRecords(s, data + 2, size - 2);
  return 0;
}
