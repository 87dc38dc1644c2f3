import { describe, expect, it } from 'vitest';

import { hashPassword, verifyPassword } from '../../src/devidp/index.js';
import { describeHashProblem } from '../../src/devidp/users/passwords.js';

describe('password hashes', () => {
  it('produces a self-describing scrypt hash', () => {
    expect(hashPassword('secret')).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
  });

  it('salts every hash', () => {
    expect(hashPassword('secret')).not.toBe(hashPassword('secret'));
  });

  it('verifies the right password and rejects others', async () => {
    const hash = hashPassword('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horse ', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('treats Unicode compositions of the same text as the same password', async () => {
    expect(await verifyPassword('e\u0301', hashPassword('\u00e9'))).toBe(true);
  });

  it.each([
    ['plaintext', 'hunter2'],
    ['another scheme', '$2b$10$abcdefghijklmnopqrstuv'],
    ['a non-power-of-two cost', 'scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['an absurd cost', 'scrypt$1073741824$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['a missing part', 'scrypt$16384$8$1$c2FsdHNhbHQ='],
    ['bad base64', 'scrypt$16384$8$1$!!!!$aGFzaGhhc2hoYXNoaGFzaA=='],
  ])('refuses %s as a hash', async (_case, value) => {
    expect(describeHashProblem(value)).toMatch(/hashPassword/);
    expect(await verifyPassword('hunter2', value)).toBe(false);
  });
});
