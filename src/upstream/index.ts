export {
  rewriteUpstreamHeaders,
  prepareUpstreamPlan,
  extraHeaderEntries,
  type ForwardingFacts,
  type HeaderMap,
  type UpstreamHeaderPlan,
  type UpstreamIdentity,
} from './request-headers.js';
export { rewriteResponseHeaders } from './response-headers.js';
export { identityHeaderEntries, IDENTITY_HEADER_NAMES, type HeaderEntries, type IdentityHeaderName, type OutpostMeta } from './identity-headers.js';
export { upstreamBasicAuthorization } from './basic-injection.js';
export { headerSafe } from './header-value.js';
export { MAX_ATTRIBUTE_HEADERS, MAX_ATTRIBUTE_HEADER_BYTES, type RefusedHeader } from './attribute-headers.js';
