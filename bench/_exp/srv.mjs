// variant: bare | hooks
import Fastify from 'fastify';
const variant = process.argv[2];
const headers = { 'x-authentik-username': 'bob', 'x-authentik-groups': 'staff', 'x-authentik-email': 'bob@example.com', 'x-authentik-name': 'Bob', 'x-authentik-uid': 'abc', 'cache-control': 'no-store' };
const app = Fastify({ logger: false });
if (variant !== 'bare') {
  app.decorateRequest('ctx', null);
  app.addHook('onRequest', (req, reply, done) => { if ((req.raw.url ?? '').length > 8192) return; done(); });
  app.addHook('onRequest', (req, reply, done) => { req.ctx = { a: 1, b: req.raw.url, c: null, d: null, e: null, f: null, g: [], h: null, i: null }; done(); });
  app.addHook('preParsing', (req, reply, payload, done) => done(null, payload));
  app.addHook('onResponse', (req, reply, done) => { done(); });
}
if (variant === 'hooks') {
  app.all('/x', { onRequest: async (req, reply) => reply.code(200).headers(headers).send(), onSend: (req, reply, payload, done) => { reply.code(reply.statusCode); done(null, payload); } }, async () => { throw new Error('no'); });
} else if (variant === 'hooks-cb') {
  app.all('/x', { onRequest: (req, reply, done) => { reply.code(200).headers(headers).send(); }, onSend: (req, reply, payload, done) => { reply.code(reply.statusCode); done(null, payload); } }, async () => { throw new Error('no'); });
} else if (variant === 'hooks-nosend') {
  app.all('/x', { onRequest: async (req, reply) => reply.code(200).headers(headers).send() }, async () => { throw new Error('no'); });
} else {
  app.all('/x', async (req, reply) => reply.code(200).headers(headers).send());
}
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.send({ url, pid: process.pid });
