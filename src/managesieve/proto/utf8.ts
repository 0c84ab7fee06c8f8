// Strict UTF-8 check: RFC 5804 requires script names and scripts to be valid UTF-8 (§1.6, §2.6).
const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}
