/**
 * Request and reply types as plugins (http-proxy, reply-from) hand them over. Below both the
 * request context and the renderers, which each need them.
 */

import type { FastifyReply, FastifyRequest, RawServerBase, RequestGenericInterface, RouteGenericInterface } from 'fastify';

export type AnyRequest = FastifyRequest<RequestGenericInterface, RawServerBase>;
export type AnyReply = FastifyReply<RouteGenericInterface, RawServerBase>;
