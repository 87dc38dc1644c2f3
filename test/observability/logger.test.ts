import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/index.js';

function capture() {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { destination, text: () => text };
}

describe('logger', () => {
  it('redacts credential headers wherever a request or response is logged', () => {
    const sink = capture();
    const logger = createLogger({ config: { level: 'info', format: 'json' }, destination: sink.destination });
    const secrets = {
      authorization: 'Basic YWxpY2U6c2VjcmV0',
      'proxy-authorization': 'Bearer eyJsecret',
      cookie: 'authentik_proxy_1234=sessionsecret',
      'x-authentik-jwt': 'eyJraw',
    };
    logger.info({ req: { headers: secrets } }, 'incoming');
    logger.info({ res: { headers: { 'set-cookie': 'authentik_proxy_1234=sessionsecret' } } }, 'outgoing');
    logger.info({ headers: secrets }, 'bare');
    const out = sink.text();
    for (const value of [...Object.values(secrets), 'sessionsecret']) {
      expect(out).not.toContain(value);
    }
    expect(out).toContain('[redacted]');
  });

  it('writes JSON lines by default', () => {
    const sink = capture();
    createLogger({ config: { level: 'info', format: 'json' }, destination: sink.destination }).info({ a: 1 }, 'hello');
    expect(JSON.parse(sink.text().trim())).toMatchObject({ msg: 'hello', a: 1, service: 'portcullis' });
  });
});
