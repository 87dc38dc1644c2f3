import { describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/sessions/index.js';
import { parseSentinelUrl } from '../../src/sessions/redis-client.js';

describe('redis+sentinel:// URLs', () => {
  it.each([
    [
      'redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/mymaster/2',
      { sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26380 }], name: 'mymaster', db: 2, password: 's3cret' },
    ],
    ['redis+sentinel://sentinel.internal/cache', { sentinels: [{ host: 'sentinel.internal', port: 26379 }], name: 'cache', db: 0 }],
    [
      'redis+sentinel://app:p%40ss@[::1]:26379,s2/m/0?sentinelPassword=sp&sentinelUsername=su',
      { sentinels: [{ host: '::1', port: 26379 }, { host: 's2', port: 26379 }], name: 'm', db: 0, username: 'app', password: 'p@ss', sentinelUsername: 'su', sentinelPassword: 'sp' },
    ],
  ])('%s', (url, expected) => {
    expect(parseSentinelUrl(url)).toEqual(expected);
  });

  it.each(['redis+sentinel://host:26379', 'redis+sentinel:///master', 'redis+sentinel://h:99999/m', 'redis+sentinel://h:1/m/x'])('refuses %s', (url) => {
    expect(() => parseSentinelUrl(url)).toThrow(expect.objectContaining({ code: 'PCL_CONFIG_INVALID' }));
  });
});

describe('createRedisClient', () => {
  it.each(['http://127.0.0.1:6379', 'unix:///tmp/redis.sock', 'redis//:pw@host', ''])('refuses the URL %j without echoing it', (url) => {
    const attempt = (): unknown => createRedisClient({ url, cluster: [], keyPrefix: '' });
    expect(attempt).toThrow(expect.objectContaining({ code: 'PCL_CONFIG_INVALID' }));
    expect(attempt).not.toThrow(/pw/);
  });

  it('refuses a cluster seed that is not a redis URL', () => {
    expect(() => createRedisClient({ url: '', cluster: ['redis://127.0.0.1:7000', 'http://x:1'], keyPrefix: '' })).toThrow(
      expect.objectContaining({ code: 'PCL_CONFIG_INVALID', message: expect.stringContaining('sessions.redis.cluster[1]') }),
    );
  });
});
