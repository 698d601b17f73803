import { StringDecoder } from 'node:string_decoder';

/**
 * One output stream of a remote command, kept up to a byte cap: the first `maxBytes`
 * bytes are kept, the rest is read (so that the command never blocks on a full pipe)
 * and dropped. The text never ends in a broken UTF-8 character: when the cap cuts
 * one, the partial bytes are left out.
 */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (chunk.length > room) this.dropped = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    // A copy: ssh2 may reuse the buffer it hands out.
    this.chunks.push(Buffer.from(part));
    this.kept += part.length;
  }

  /** True when some bytes were dropped. */
  get truncated(): boolean {
    return this.dropped;
  }

  /**
   * The kept bytes as UTF-8. Invalid sequences become U+FFFD; an unfinished character
   * at the end is dropped if the cap cut it, and shown as U+FFFD if the command
   * itself ended there.
   */
  text(): string {
    const decoder = new StringDecoder('utf8');
    const head = decoder.write(Buffer.concat(this.chunks, this.kept));
    return this.dropped ? head : head + decoder.end();
  }
}
