import type { JsonObject, JsonValue } from '../types.js';
import type { Keypair } from './keypairs.js';
import { paginate } from './pagination.js';
import { certificateKeyPair, ROOT_CONFIG } from './shapes.js';
import type { TokenVerdict } from './token.js';

export const API_PREFIX = '/api/v3/';

export interface ApiRequest {
  readonly method: string;
  /** Without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization: string | undefined;
}

/** What the API answers: JSON, or a PEM attachment (`?download`). */
export type ApiAnswer =
  | { readonly status: number; readonly json: JsonValue }
  | { readonly status: number; readonly pem: string; readonly filename: string };

/** What the API serves from; the service implements it over the current state. */
export interface ApiSource {
  judgeToken(authorization: string | undefined): TokenVerdict;
  instance(): JsonObject;
  /** ProxyOutpostConfigs ordered by provider name, as authentik's queryset is. */
  proxyConfigs(): readonly JsonObject[];
  keypair(pk: string): Keypair | undefined;
}

// authentik's own wording (DRF), so a client matching on it behaves as against the real server.
const TOKEN_INVALID: JsonObject = { detail: 'Token invalid/expired' };
const NOT_FOUND: JsonObject = { detail: 'Not found.' };
const INVALID_PAGE: JsonObject = { detail: 'Invalid page.' };

const KEYPAIR_ROUTE = /^\/api\/v3\/crypto\/certificatekeypairs\/([^/]+)\/(?:(view_certificate|view_private_key)\/)?$/;

/** Answers one API call: the token first (as DRF authenticates before dispatch), then the route. */
export function answerApiCall(request: ApiRequest, source: ApiSource): { readonly answer: ApiAnswer; readonly tokenOk: boolean } {
  const verdict = source.judgeToken(request.authorization);
  if (verdict !== 'accepted') return { answer: { status: 403, json: TOKEN_INVALID }, tokenOk: verdict === 'refused' };
  return { answer: route(request, source), tokenOk: true };
}

function route(request: ApiRequest, source: ApiSource): ApiAnswer {
  const list = listFor(request.path, source);
  const keypairMatch = KEYPAIR_ROUTE.exec(request.path);
  const known = list !== undefined || keypairMatch !== null || request.path === '/api/v3/root/config/';
  if (!known) return { status: 404, json: NOT_FOUND };
  if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 405, json: { detail: `Method "${request.method}" not allowed.` } };
  if (list !== undefined) {
    const page = paginate(list, request.query);
    return page === 'invalid' ? { status: 404, json: INVALID_PAGE } : { status: 200, json: page };
  }
  if (keypairMatch !== null) return keypairAnswer(source.keypair(keypairMatch[1] ?? ''), keypairMatch[2], request.query);
  return { status: 200, json: ROOT_CONFIG };
}

function listFor(path: string, source: ApiSource): readonly JsonValue[] | undefined {
  if (path === '/api/v3/outposts/instances/') return [source.instance()];
  if (path === '/api/v3/outposts/proxy/') return source.proxyConfigs();
  return undefined;
}

function keypairAnswer(keypair: Keypair | undefined, view: string | undefined, query: URLSearchParams): ApiAnswer {
  if (keypair === undefined) return { status: 404, json: NOT_FOUND };
  if (view === undefined) return { status: 200, json: certificateKeyPair(keypair) };
  const certificate = view === 'view_certificate';
  const pem = certificate ? keypair.certificatePem : keypair.privateKeyPem;
  // With `?download` authentik answers the PEM as an attachment; the outpost itself never asks for that.
  if (query.has('download')) return { status: 200, pem, filename: `${keypair.name.replace(/[^\w.-]/g, '_')}_${certificate ? 'certificate' : 'private_key'}.pem` };
  return { status: 200, json: { data: pem } };
}
