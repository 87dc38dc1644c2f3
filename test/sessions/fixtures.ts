/** Sample session content and a predictable random source for session tests. */

import { randomBytes } from 'node:crypto';
import type { NewSession, RandomBytes, SessionData } from '../../src/sessions/index.js';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

export function sampleIdentity(overrides: Partial<SessionData> = {}): SessionData {
  const nonce = randomBytes(6).toString('hex');
  return {
    username: 'akadmin',
    email: 'admin@example.com',
    name: 'Admin Istrator',
    groups: ['admins', 'staff'],
    entitlements: ['grafana:edit'],
    attributes: { app_username: 'admin', nested: { level: 2, tags: ['a', 'b'] } },
    claims: { sub: 'user-1', preferred_username: 'akadmin', ak_proxy: { is_superuser: true } },
    accessToken: `access-token-${nonce}`,
    idToken: `id-token-${nonce}`,
    refreshToken: `refresh-token-${nonce}`,
    tokenExpiresAt: 1_900_000_000_000,
    method: 'session',
    ...overrides,
  };
}

export function newSession(application: string, sub: string, expiresAt: number, identity: SessionData = sampleIdentity()): NewSession {
  return { application, sub, identity, expiresAt };
}

/** Each call returns the next bytes of 0x00, 0x01, 0x02, …: ids are predictable. */
export function counterRandom(): RandomBytes {
  let next = 0;
  return (size) => {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i += 1) bytes[i] = next++ & 0xff;
    return bytes;
  };
}

/** A name no other test (or test run) uses, so shared stores never see each other's data. */
export function unique(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}
