/**
 * Cross-key rules run even where some keys were rejected, so one run names every problem: a
 * rejected value never hides a missing key or a broken rule elsewhere in the same mapping.
 */

import { describe, expect, it } from 'vitest';
import { app0, docWith, parseDoc, problemsOf } from './helpers.js';

describe('every problem at once', () => {
  it('in one identity block: a bad value, a missing key and a rule', () => {
    const doc = docWith((d) => {
      d['identity'] = { issuer: 'http://auth.example.com/', scopes: ['openid', 'a b'], clientAuth: 'client_secret_post' };
    });
    expect(problemsOf(doc)).toEqual([
      { path: 'identity.scopes[1]', message: 'expected an OAuth scope, got "a b"' },
      { path: 'identity.clientId', message: 'required' },
      {
        path: 'identity.issuer',
        message: 'must use https unless the host is loopback (localhost, 127.0.0.0/8, ::1) or allowInsecureHttp is true, got "http://auth.example.com/"',
      },
      { path: 'identity.clientAuth', message: 'client_secret_post needs a non-empty clientSecret' },
    ]);
  });

  it('in additionalHeaders: a refused name and a refused value of another header', () => {
    const doc = docWith((d) => (app0(d)['additionalHeaders'] = { Host: 'a', 'X-B': 'b\r\n', 'X-C': 'fine' }));
    expect(problemsOf(doc)).toEqual([
      { path: 'applications[0].additionalHeaders.Host', message: '"Host" cannot be set: Portcullis manages this header' },
      { path: 'applications[0].additionalHeaders.X-B', message: 'expected a header value without control characters (CR, LF, NUL) or characters beyond Latin-1' },
    ]);
  });

  it('across mappings: a rejected listener does not hide the workers rule or an application rule', () => {
    const doc = docWith((d) => {
      d['listen'] = 'nowhere';
      d['workers'] = 2;
      Object.assign(app0(d), { mode: 'forward_single', name: 'bad name' });
    });
    // Document order: `listen` and `workers` are written after the applications here.
    expect(problemsOf(doc)).toEqual([
      { path: 'applications[0].name', message: 'expected a name matching ^[A-Za-z0-9][A-Za-z0-9._-]*$, got "bad name"' },
      { path: 'applications[0].internalHost', message: 'only used in proxy mode, but mode is forward_single' },
      { path: 'listen', message: 'expected "host:port" (IPv6 as "[::1]:9000"), got "nowhere"' },
      { path: 'workers', message: 'more than one worker needs sessions.store: redis (the memory store lives in one process), got 2' },
    ]);
  });
});

describe('numbers from ${VAR}', () => {
  it('accepts whole numbers written as digits wherever a number goes', () => {
    const config = parseDoc(
      docWith((d) => {
        Object.assign(d, { workers: '4', sessions: { store: 'redis' }, cache: { maxCredentials: '250' }, limits: { maxRequestBody: '1024' } });
      }),
    );
    expect([config.workers, config.cache.maxCredentials, config.limits.maxRequestBody]).toEqual([4, 250, 1024]);
  });
});
