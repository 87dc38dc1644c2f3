import type { IncomingMessage, ServerResponse } from 'node:http';

import { API_PREFIX } from '../outpost/api.js';
import type { ApiAnswer, ApiRequest } from '../outpost/api.js';
import type { OutpostService } from '../outpost/service.js';
import { pause } from './faults.js';
import type { FaultBoard } from './faults.js';
import { sendJson } from './io.js';

export function isOutpostApiPath(url: string): boolean {
  return url.startsWith(API_PREFIX);
}

/**
 * Serves one `/api/v3/*` call: an injected stall, then an injected failure or the API's own
 * answer, recorded for tests before it is sent (a test that got the answer finds the record).
 */
export async function serveOutpostApi(req: IncomingMessage, res: ServerResponse, outpost: OutpostService, faults: FaultBoard): Promise<void> {
  const stall = faults.stallFor('outpost_api');
  if (stall > 0 && (await pause(stall, res)) === 'closed') return;
  const url = new URL(req.url ?? '/', 'http://devidp.invalid');
  const request: ApiRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization };
  const failure = faults.failure('outpost_api');
  const { answer, tokenOk } = failure === undefined ? outpost.answer(request) : injectedFailure(failure, request, outpost);
  outpost.recorder.recordCall({
    method: request.method,
    path: request.path,
    query: Object.fromEntries(url.searchParams),
    tokenOk,
    userAgent: req.headers['user-agent'] ?? '',
    status: answer.status,
  });
  sendAnswer(res, answer);
}

/** Like a load balancer in front of authentik: the status comes before any token check. */
function injectedFailure(status: number, request: ApiRequest, outpost: OutpostService): { answer: ApiAnswer; tokenOk: boolean } {
  const answer = { status, json: { detail: 'fault injected into the outpost API by the development IdP' } };
  return { answer, tokenOk: outpost.judgeToken(request.authorization) !== 'wrong' };
}

function sendAnswer(res: ServerResponse, answer: ApiAnswer): void {
  if ('json' in answer) {
    sendJson(res, answer.status, answer.json);
    return;
  }
  res.writeHead(answer.status, {
    'content-type': 'application/x-pem-file',
    'content-disposition': `attachment; filename="${answer.filename}"`,
    'content-length': Buffer.byteLength(answer.pem),
    'cache-control': 'no-store',
  });
  res.end(answer.pem);
}
