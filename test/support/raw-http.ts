/**
 * Speaks HTTP/1.1 over a bare TCP socket, for requests that Node's and undici's clients
 * would refuse to send or silently normalize (hop-by-hop headers, duplicates, odd framing).
 */

import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Header lines as received, names lower-cased, in order. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  readonly raw: string;
}

export function header(response: RawResponse, name: string): string[] {
  return response.headers.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v);
}

/** Sends `text` (use CRLF line ends and `Connection: close`) and reads until the server closes. */
export function rawRequest(port: number, text: string, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('latin1')}`));
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
    });
    socket.write(text);
  });
}

function parseResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(statusLine.split(' ')[1] ?? 0);
  const headers = lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
  });
  const rest = end === -1 ? '' : raw.slice(end + 4);
  const chunked = headers.some(([name, value]) => name === 'transfer-encoding' && /chunked/i.test(value));
  return { status, headers, body: chunked ? dechunk(rest) : rest, raw };
}

function dechunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at);
    if (lineEnd === -1) {
      return out;
    }
    const size = Number.parseInt(text.slice(at, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) {
      return out;
    }
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
