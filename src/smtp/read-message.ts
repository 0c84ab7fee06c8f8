// Collects the DATA stream into one buffer. The library stops passing bytes on past the SIZE limit
// (and flags `sizeExceeded`), so memory stays bounded by the configured maximum.
import type { Readable } from 'node:stream';

export async function readMessage(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
