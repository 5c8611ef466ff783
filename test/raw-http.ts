/**
 * HTTP at the byte level, for tests that must send what no HTTP client would (duplicated or
 * broken headers, non-UTF-8 bytes, lying lengths) and read what comes back exactly as sent.
 * Loopback only.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What came back on one connection: every byte, and whether the server closed it. */
export interface RawOutcome {
  bytes: Buffer;
  closedByServer: boolean;
}

/**
 * Writes `request` to 127.0.0.1:`port` and collects everything until the server closes the
 * connection, or until `limitMs` (then the connection is closed from this side).
 */
export function exchangeRaw(port: number, request: Buffer, limitMs = 5_000): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const timer = setTimeout(() => finish(false), limitMs);
    let done = false;
    function finish(closedByServer: boolean): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closedByServer });
    }
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    // The server may close while the request is still being written (a refused huge body).
    socket.on('error', () => finish(true));
  });
}

/**
 * The final answers in a byte stream, in order; interim 1xx answers are skipped. Bodies are
 * delimited by Content-Length, or by the end of the stream when there is none; the answer to
 * a HEAD request (`firstIsHead`) has none whatever its Content-Length says.
 */
export function parseAnswers(bytes: Buffer, firstIsHead = false): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`incomplete answer head: ${JSON.stringify(rest.toString())}`);
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3}) /.exec(statusLine);
    if (!match) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);

    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(match[1]);
    // A parser error is answered before the method is known, with a body even for HEAD.
    const after = rest.subarray(end + 4, end + 9).toString('latin1');
    const headOnly = firstIsHead && answers.length === 0 && (after === '' || after === 'HTTP/');
    const length = headOnly ? 0 : Number(headers['content-length'] ?? rest.length - end - 4);
    const body = rest.subarray(end + 4, end + 4 + length);
    rest = rest.subarray(end + 4 + length);
    if (status >= 200) answers.push({ status, headers, body });
  }
  return answers;
}

/** One request as bytes: request line, headers in the given order (repeats allowed), body. */
export function rawRequest(
  method: string,
  path: string,
  headers: [string, string | Buffer][],
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const parts: Buffer[] = [Buffer.from(`${method} ${path} HTTP/1.1\r\n`, 'latin1')];
  for (const [name, value] of headers) {
    parts.push(Buffer.from(`${name}: `, 'latin1'));
    parts.push(typeof value === 'string' ? Buffer.from(value, 'latin1') : value);
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('\r\n'), body);
  return Buffer.concat(parts);
}
