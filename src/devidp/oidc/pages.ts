import type { KoaContextWithOIDC } from 'oidc-provider';

import { escapeHtml, page } from '../http/html.js';

/**
 * The end-session confirmation. oidc-provider insists on a POST with an anti-forgery token; the
 * page submits it by itself (and offers a button without JavaScript) so that RP-initiated logout
 * needs no extra click, like authentik's default invalidation flow.
 */
export function renderLogoutConfirm(ctx: KoaContextWithOIDC, form: string): void {
  const withLogout = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
  ctx.type = 'html';
  ctx.body = page(
    'Signing out',
    `${withLogout}
    <p>Signing you out…</p>
    <button type="submit" form="op.logoutForm">Sign out</button>
    <script>document.getElementById('op.logoutForm').submit();</script>`,
  );
}

export function renderLogoutSuccess(ctx: KoaContextWithOIDC): void {
  ctx.type = 'html';
  ctx.body = page('Signed out', '<p>You have been signed out.</p>');
}

export function renderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string | undefined }): void {
  ctx.type = 'html';
  ctx.body = page('Error', `<p><strong>${escapeHtml(out.error)}</strong></p><p>${escapeHtml(out.error_description ?? '')}</p>`);
}
