import type { IncomingMessage, ServerResponse } from 'node:http';

import type { EndpointDeps } from './deps.js';
import { escapeHtml, page } from './html.js';
import { readForm, sendHtml } from './io.js';

/**
 * The interaction endpoint oidc-provider sends the browser to. Only the login prompt has a page
 * (a plain HTML form, no JavaScript); consent is implied for dev clients (see oidc/consent.ts).
 */
export async function handleInteraction(req: IncomingMessage, res: ServerResponse, deps: EndpointDeps): Promise<void> {
  const provider = deps.provider();
  let details: Awaited<ReturnType<typeof provider.interactionDetails>>;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    // The interaction cookie is missing or the interaction expired: nothing here can resume it.
    sendHtml(res, 400, page('Sign-in expired', '<p>This sign-in attempt is unknown or has expired. Go back to the application and start again.</p>'));
    return;
  }
  if (details.prompt.name === 'consent' && details.grantId !== undefined) {
    await provider.interactionFinished(req, res, { consent: { grantId: details.grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  const action = `${deps.mountPath}/interaction/${encodeURIComponent(details.uid)}`;
  const clientId = String(details.params['client_id'] ?? '');
  if (req.method !== 'POST') {
    sendHtml(res, 200, loginPage({ action, clientId, username: '', error: undefined }));
    return;
  }
  const form = await readForm(req);
  const username = form.get('username') ?? '';
  const user = await deps.directory.authenticate(username, form.get('password') ?? '', ['login']);
  if (user === undefined) {
    sendHtml(res, 200, loginPage({ action, clientId, username, error: 'Invalid username or password.' }));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.uid } }, { mergeWithLastSubmission: false });
}

interface LoginView {
  readonly action: string;
  readonly clientId: string;
  readonly username: string;
  readonly error: string | undefined;
}

function loginPage(view: LoginView): string {
  const error = view.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(view.error)}</p>`;
  return page(
    'Sign in',
    `<p>to continue to <strong>${escapeHtml(view.clientId)}</strong></p>
${error}
<form method="post" action="${escapeHtml(view.action)}" autocomplete="off">
<label>Username <input name="username" value="${escapeHtml(view.username)}" autofocus required></label>
<label>Password <input name="password" type="password" required></label>
<button type="submit">Sign in</button>
</form>`,
  );
}
