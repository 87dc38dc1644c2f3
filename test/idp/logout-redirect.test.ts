/**
 * RP-initiated logout (issue 15, OpenID Connect RP-Initiated Logout 1.0 §2): `/sign_out` sends
 * the browser to the IdP's end-session endpoint with `id_token_hint`, `client_id` and
 * `post_logout_redirect_uri` (`identity.postLogoutRedirectUri`, default the application's root),
 * and the development IdP sends it back there.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formAction, hiddenFields, HttpBrowser } from '../support/http-browser.js';
import { loginAlice, PORTCULLIS, RESERVED, startDevStack, type DevStack } from './dev-stack.js';

const IDENTITY = `clientId: ${PORTCULLIS.id}\nclientSecret: ${PORTCULLIS.secret}`;

describe('RP-initiated logout', () => {
  let stack: DevStack;
  beforeAll(async () => {
    stack = await startDevStack({ apps: ['root', 'none', 'custom'] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('sends id_token_hint, client_id and the application root as post_logout_redirect_uri, and the IdP returns there', async () => {
    const gw = await stack.gateway('root');
    try {
      const { browser } = await loginAlice(stack.origin('root'));
      const out = await browser.request(`${stack.origin('root')}${RESERVED}/sign_out`);
      expect(out.status).toBe(302);
      const target = new URL(out.location ?? '');
      expect(`${target.origin}${target.pathname}`).toBe(`${stack.idp.issuer}/session/end`);
      expect(target.searchParams.get('client_id')).toBe(PORTCULLIS.id);
      expect(target.searchParams.get('post_logout_redirect_uri')).toBe(`${stack.origin('root')}/`);
      expect(target.searchParams.get('id_token_hint')?.split('.')).toHaveLength(3);

      const confirm = await browser.request(out.location ?? '');
      expect(confirm.status).toBe(200);
      const done = await browser.request(formAction(confirm.body, confirm.url), { form: hiddenFields(confirm.body) });
      expect(done.status).toBe(303);
      expect(done.location).toBe(`${stack.origin('root')}/`);
    } finally {
      await gw.close();
    }
  });

  it('sends no post_logout_redirect_uri when it is set to ""', async () => {
    const gw = await stack.gateway('none', `${IDENTITY}\npostLogoutRedirectUri: ""`);
    try {
      const { browser } = await loginAlice(stack.origin('none'));
      const target = new URL((await browser.request(`${stack.origin('none')}${RESERVED}/sign_out`)).location ?? '');
      expect(target.searchParams.get('client_id')).toBe(PORTCULLIS.id);
      expect(target.searchParams.has('post_logout_redirect_uri')).toBe(false);
    } finally {
      await gw.close();
    }
  });

  it('sends the configured post_logout_redirect_uri, also without a session (client_id then names the client)', async () => {
    const goodbye = `${stack.origin('custom')}/goodbye?from=portcullis`;
    const gw = await stack.gateway('custom', `${IDENTITY}\npostLogoutRedirectUri: "${goodbye}"`);
    try {
      const out = await (await loginAlice(stack.origin('custom'))).browser.request(`${stack.origin('custom')}${RESERVED}/sign_out`);
      expect(new URL(out.location ?? '').searchParams.get('post_logout_redirect_uri')).toBe(goodbye);
      const anonymous = new URL((await new HttpBrowser().request(`${stack.origin('custom')}${RESERVED}/sign_out`)).location ?? '');
      expect(anonymous.searchParams.has('id_token_hint')).toBe(false);
      expect(anonymous.searchParams.get('client_id')).toBe(PORTCULLIS.id);
      expect(anonymous.searchParams.get('post_logout_redirect_uri')).toBe(goodbye);
    } finally {
      await gw.close();
    }
  });
});
