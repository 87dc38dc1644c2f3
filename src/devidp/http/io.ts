import type { IncomingMessage, ServerResponse } from 'node:http';

const BODY_LIMIT = 64 * 1024;

export class BadRequest extends Error {
  override readonly name = 'BadRequest';
}

/** Reads a small request body; larger bodies are refused rather than buffered. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > BODY_LIMIT) throw new BadRequest('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses an application/x-www-form-urlencoded body. Repeated parameters are refused: OAuth
 * parameters "MUST NOT be included more than once" (RFC 6749 §3.1), and ambiguity invites bypasses.
 */
export async function readForm(req: IncomingMessage): Promise<Map<string, string>> {
  if (req.method !== 'POST') return new Map();
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const text = await readBody(req);
  if (text === '') return new Map();
  if (type !== 'application/x-www-form-urlencoded') throw new BadRequest('only application/x-www-form-urlencoded bodies are supported');
  const form = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(text)) {
    if (form.has(key)) throw new BadRequest(`parameter "${key}" must not be repeated`);
    form.set(key, value);
  }
  return form;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** An OAuth 2.0 error response (RFC 6749 §5.2). */
export function sendError(res: ServerResponse, status: number, error: string, description: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error, error_description: description }, headers);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}
