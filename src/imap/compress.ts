// COMPRESS=DEFLATE (RFC 4978): once the tagged OK is out, everything in both directions is raw DEFLATE
// (RFC 1951, no zlib header). Each burst of responses ends with a sync flush, so the client can decode
// a response as soon as it arrives instead of waiting for more output (RFC 4978 §4).
import type { ConnectionSocket as Socket } from '../server/listener.js';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

export class DeflateStream {
  private readonly deflate: DeflateRaw;
  private readonly inflate: InflateRaw;
  private closed = false;

  /**
   * Starts inflating what `socket` receives into `onData` at once: the client may send compressed data
   * as soon as it sees the tagged OK, so the incoming side must be ready before that OK is written.
   */
  constructor(
    private readonly socket: Socket,
    private readonly onData: (chunk: Buffer) => void,
    onError: () => void,
  ) {
    this.deflate = createDeflateRaw({ level: constants.Z_DEFAULT_COMPRESSION });
    this.inflate = createInflateRaw();
    this.deflate.on('data', (c: Buffer) => {
      if (!this.closed) socket.write(c);
    });
    this.inflate.on('data', (c: Buffer) => {
      if (!this.closed) this.onData(c);
    });
    this.deflate.on('error', onError);
    this.inflate.on('error', onError);
    socket.on('data', this.fromSocket);
  }

  private readonly fromSocket = (c: Buffer): void => {
    this.inflate.write(c);
  };

  write(data: Buffer): void {
    if (!this.closed) this.deflate.write(data);
  }

  /** Resolves once everything written so far has been compressed and handed to the socket. */
  flush(): Promise<void> {
    const d = this.deflate;
    if (this.closed || d.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      // A stream destroyed meanwhile (socket error) never calls back: its 'close' ends the wait too.
      const done = () => {
        d.off('close', done);
        resolve();
      };
      d.once('close', done);
      d.flush(constants.Z_SYNC_FLUSH, done);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.off('data', this.fromSocket);
    this.deflate.destroy();
    this.inflate.destroy();
  }
}
