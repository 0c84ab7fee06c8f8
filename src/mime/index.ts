/**
 * Mailstead's MIME toolkit: pure functions, bytes in and plain data out.
 *
 * - `parseMessage(raw)` → a `MimePart` tree with byte offsets for headers and bodies.
 * - `parseHeaderSection`, `unfold`, `getFields` for header sections.
 * - `decodeEncodedWords` / `encodeHeaderValue` for RFC 2047.
 * - `parseAddressList` / `parseAddrSpec` for RFC 5322 addresses.
 * - `parseContentType` / `parseContentDisposition` / `parseParams` (RFC 2045, RFC 2231).
 * - `decodeCharset`, `decodeTransferEncoding` and friends for content decoding.
 */
export * from './addresses.js';
export * from './charsets.js';
export * from './encoded-words.js';
export * from './headers.js';
export * from './params.js';
export * from './parse.js';
export * from './transfer-encoding.js';
