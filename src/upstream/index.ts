export {
  rewriteUpstreamHeaders,
  prepareUpstreamPlan,
  type ForwardingFacts,
  type HeaderMap,
  type UpstreamHeaderPlan,
} from './request-headers.js';
export { rewriteResponseHeaders } from './response-headers.js';
