import { connect, type TLSSocket } from 'node:tls';

/**
 * A raw HTTP/2 client for bad-input tests: it writes frames byte by byte, so it can send what
 * Node's own http2 client refuses to (connection-specific headers, CR/LF in a value, a body
 * shorter than its content-length). Header blocks are HPACK "literal without indexing, new name",
 * no Huffman: every name and value goes on the wire as given.
 */
export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8 } as const;
export const FLAG = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, firstByte: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByte | value]);
  const out = [firstByte | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0x00]), hpackInt(n.length, 7, 0), n, hpackInt(v.length, 7, 0), v]);
}

/**
 * The `:status` of a response HEADERS frame when the server sent it as an indexed entry of HPACK's
 * static table (200, 204, 206, 304, 400, 404, 500: how Node writes those); undefined otherwise.
 */
export function indexedStatus(f: RawFrame): number | undefined {
  const b = f.payload[0];
  if (b === undefined || (b & 0x80) === 0) return undefined;
  return ({ 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 } as Record<number, number>)[b & 0x7f];
}

export class RawH2 {
  readonly #socket: TLSSocket;
  readonly frames: RawFrame[] = [];
  #buffered = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  closed = false;

  private constructor(socket: TLSSocket) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, d]);
      while (this.#buffered.length >= 9) {
        const len = this.#buffered.readUIntBE(0, 3);
        if (this.#buffered.length < 9 + len) break;
        const f: RawFrame = {
          type: this.#buffered[3] as number,
          flags: this.#buffered[4] as number,
          stream: this.#buffered.readUInt32BE(5) & 0x7fffffff,
          payload: this.#buffered.subarray(9, 9 + len),
        };
        this.#buffered = this.#buffered.subarray(9 + len);
        if (f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0) socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0, Buffer.alloc(0)));
        this.frames.push(f);
      }
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects with ALPN h2 (server name `servername`), sends the preface and an empty SETTINGS. */
  static open(port: number, servername: string, ca: string): Promise<RawH2> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['h2'] }, () => {
        if (socket.alpnProtocol !== 'h2') return reject(new Error(`ALPN gave ${String(socket.alpnProtocol)}`));
        socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(0))]));
        resolve(new RawH2(socket));
      });
      socket.once('error', reject);
    });
  }

  /** A HEADERS frame with these fields in this order (pseudo-headers first, as the caller gives them). */
  headers(stream: number, fields: ReadonlyArray<readonly [string, string]>, endStream: boolean): void {
    const block = Buffer.concat(fields.map(([n, v]) => literal(n, v)));
    this.#socket.write(frame(FRAME.HEADERS, FLAG.END_HEADERS | (endStream ? FLAG.END_STREAM : 0), stream, block));
  }

  data(stream: number, body: Buffer, endStream: boolean): void {
    this.#socket.write(frame(FRAME.DATA, endStream ? FLAG.END_STREAM : 0, stream, body));
  }

  rst(stream: number, code = 0x8 /* CANCEL */): void {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(code);
    this.#socket.write(frame(FRAME.RST_STREAM, 0, stream, p));
  }

  /** Waits until a frame matching `pred` has arrived (or the connection closed, or `ms` passed). */
  async waitFor(pred: (f: RawFrame) => boolean, ms = 3000): Promise<RawFrame | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(pred);
      if (f !== undefined || this.closed || Date.now() > deadline) return f;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.#socket.destroy();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}
