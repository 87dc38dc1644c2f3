/** One entry of `applications`: an external host Portcullis protects, and how. */

import { z } from 'zod';
import { field, required } from '../values/field.js';
import { kind } from '../values/kinds.js';
import { durationsInMs, INVALID, mapping, withListRule, withRule, type Partly, type RuleContext } from '../values/mapping.js';
import { cookieDomain, httpUrl, isUnderDomain, optionalHttpUrl } from '../values/network.js';
import { boolean, enumOf, optionalDuration, list, re2Regex, string } from '../values/scalars.js';
import { additionalHeaders } from './headers.js';
import { identity } from './identity.js';

const name = string({
  label: 'name',
  pattern: { re: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, expected: 'a name matching ^[A-Za-z0-9][A-Za-z0-9._-]*$' },
});

const attribute = string({ nonEmpty: true });

const headerAuthKeys = mapping({
  intercept: field(boolean(), {
    default: true,
    description: 'Consume and strip valid credentials; invalid ones get 401. `false` passes unknown credentials upstream.',
  }),
  header: field(enumOf(['authorization', 'proxy-authorization']), {
    default: 'authorization',
    description: '`authorization` (401, WWW-Authenticate) or `proxy-authorization` (407, Proxy-Authenticate).',
  }),
  basic: field(boolean(), { default: true, description: 'Accept `Basic` username + app password.' }),
  bearer: field(boolean(), { default: true, description: 'Accept `Bearer` tokens. At least one of `basic` and `bearer` is on.' }),
});

const headerAuth = withRule(headerAuthKeys, ({ basic, bearer }, ctx) => {
  // Every 401 (407) carries at least one challenge (RFC 9110 §15.5.2); with neither scheme
  // there would be none to offer an API client.
  if (basic === false && bearer === false) {
    ctx.report([], 'basic and bearer cannot both be false: a 401 must offer at least one challenge (RFC 9110 §15.5.2)');
  }
});

const upstreamBasicAuth = mapping({
  enabled: field(boolean(), { default: false, description: 'Send `Authorization: Basic` to the upstream from user attributes.' }),
  usernameAttribute: field(attribute, { default: 'app_username', description: 'Attribute holding the upstream username; falls back to the email.' }),
  passwordAttribute: field(attribute, { default: 'app_password', description: 'Attribute holding the upstream password; falls back to an empty password.' }),
});

const binding = mapping({
  policy: required(string({ nonEmpty: true }), { description: 'Name of a policy in `policiesDir`.' }),
  negate: field(boolean(), { default: false, description: 'Allow when the policy does not.' }),
});

const policies = mapping({
  mode: field(enumOf(['all', 'any']), { default: 'all', description: 'Whether all bindings or any one must allow.' }),
  bindings: field(list(binding), { default: [], description: 'Policies bound to this application; none allows every authenticated identity.' }),
});

const externalHost = httpUrl({ form: 'origin' });

const applicationKeys = mapping({
  name: required(name, { description: 'Unique; used in realms, metrics and headers.' }),
  slug: field(string({ label: 'slug' }), {
    default: '',
    defaultText: 'the name',
    description: 'The application\'s slug, sent as `X-authentik-meta-app` (authentik: the application slug).',
  }),
  providerName: field(string(), {
    default: '',
    defaultText: 'the clientId',
    description: 'Sent as `X-authentik-meta-provider` (authentik: the provider\'s name).',
  }),
  sessionLifetime: field(optionalDuration(), {
    default: '',
    defaultText: '`sessions.lifetime`',
    description: 'Upper bound of this application\'s sessions (authentik: the provider\'s access token validity).',
  }),
  externalHost: required(externalHost, { description: 'Public origin (`https://app.example.com`), no path.' }),
  mode: field(enumOf(['proxy', 'forward_single', 'forward_domain']), {
    default: 'proxy',
    description: '`proxy` forwards to internalHost; `forward_single` / `forward_domain` answer a reverse proxy\'s auth requests.',
  }),
  internalHost: field(optionalHttpUrl({ form: 'base' }), {
    default: '',
    defaultText: 'required in `proxy` mode',
    description: 'Upstream URL, optionally with a base path; proxy mode only.',
  }),
  internalHostTlsVerify: field(boolean(), { default: true, description: 'Verify the upstream\'s TLS certificate.' }),
  preserveHost: field(boolean(), {
    default: false,
    description:
      'Send the client\'s Host upstream instead of internalHost\'s (authentik\'s outpost sends the client\'s; authentik mode does too). `X-Forwarded-Host` carries it either way.',
  }),
  cookieDomain: field(cookieDomain(), {
    default: '',
    description: 'forward_domain only, and required there: the domain the session cookie covers (`.example.com`).',
  }),
  skipPathRegex: field(list(re2Regex()), {
    default: [],
    description:
      'Paths served without authentication: RE2 regexes (authentik\'s syntax), unanchored, over the normalized path; in forward_domain over `scheme://host` + the normalized path.',
  }),
  headerAuth: field(headerAuth, { default: {}, description: 'Credentials in request headers.' }),
  redirectBrowsersOnly: field(boolean(), {
    default: true,
    description: 'Only requests whose Accept includes text/html are redirected to login; others get 401.',
  }),
  upstreamBasicAuth: field(upstreamBasicAuth, { default: {}, description: 'HTTP Basic credentials for the upstream.' }),
  additionalHeaders: field(additionalHeaders, {
    default: {},
    description: 'Static headers sent upstream; not Host, Authorization, Cookie, framing headers, `x-authentik-*` or names with `_`.',
  }),
  policies: field(policies, { default: {}, description: 'Authorization.' }),
  identity: field(kind('mapping (overrides of any `identity` key)', identity), {
    // Never used as such: validation lays every application's identity over the top-level block first.
    default: {} as z.input<typeof identity>,
    description: 'Overrides of any `identity` key for this application.',
  }),
});

/** Keys whose meaning depends on `mode`: one mode's setting silently ignored in another is a trap. */
function checkMode(app: Partly<z.output<typeof applicationKeys>>, ctx: RuleContext): void {
  const { mode, internalHost, cookieDomain: domain, externalHost: origin } = app;
  if (mode === INVALID) return;
  if (mode === 'proxy' && internalHost === null) ctx.report(['internalHost'], 'required in proxy mode');
  if (mode !== 'proxy' && internalHost !== null && internalHost !== INVALID) ctx.report(['internalHost'], `only used in proxy mode, but mode is ${mode}`);
  if (mode !== 'forward_domain') {
    if (domain !== '' && domain !== INVALID) ctx.report(['cookieDomain'], `only used in forward_domain mode, but mode is ${mode}`);
    return;
  }
  if (domain === '') ctx.report(['cookieDomain'], 'required in forward_domain mode');
  else if (domain !== INVALID && origin !== INVALID && !isUnderDomain(new URL(origin).hostname, domain)) {
    ctx.report(['cookieDomain'], `must contain the externalHost "${new URL(origin).hostname}", got "${domain}"`);
  }
}

export const application = withRule(applicationKeys, checkMode).transform((value) => durationsInMs(value, ['sessionLifetime']));

/** Names and hosts route requests: two applications may share neither. */
function checkUnique(items: readonly unknown[], ctx: RuleContext): void {
  const names = new Map<string, number>();
  const hosts = new Map<string, number>();
  items.forEach((item, i) => {
    if (typeof item !== 'object' || item === null) return;
    const { name: n, externalHost: origin } = item as { name?: unknown; externalHost?: unknown };
    if (typeof n === 'string' && !ctx.rejected([i, 'name'])) {
      const first = names.get(n);
      if (first === undefined) names.set(n, i);
      else ctx.report([i, 'name'], `duplicate application name "${n}" (first used by applications[${first}])`);
    }
    if (typeof origin === 'string' && !ctx.rejected([i, 'externalHost'])) {
      const host = new URL(origin).host;
      const owner = hosts.get(host);
      if (owner === undefined) hosts.set(host, i);
      else ctx.report([i, 'externalHost'], `host "${host}" is already used by applications[${owner}]`);
    }
  });
}

/**
 * The `applications` list. A configuration source that supplies applications itself (authentik's
 * API) may leave it empty: there, an empty list means "none yet", not a mistake.
 */
export function applicationList(options: { readonly mayBeEmpty: boolean }) {
  return withListRule(list(application), (items, ctx) => {
    if (items.length === 0 && !options.mayBeEmpty) ctx.report([], 'expected at least one application');
    checkUnique(items, ctx);
  });
}
