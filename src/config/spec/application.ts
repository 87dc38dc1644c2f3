/** One entry of `applications`: an external host Portcullis protects, and how. */

import { list } from '../schema/collections.js';
import { peek, type Schema } from '../schema/core.js';
import { field, object, renamed } from '../schema/object.js';
import type { Partly } from '../schema/object.js';
import { cookieDomain, httpUrl, isUnderDomain } from '../schema/network.js';
import type { Path } from '../schema/path.js';
import { isPlainObject } from '../schema/plain.js';
import { INVALID } from '../schema/problems.js';
import type { Context } from '../schema/problems.js';
import { boolean, duration, enumOf, re2Regex, string } from '../schema/scalars.js';
import { additionalHeaders } from './headers.js';
import { identityOverrides } from './identity.js';

const name = string({
  type: 'name',
  pattern: { re: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, expected: 'a name matching ^[A-Za-z0-9][A-Za-z0-9._-]*$' },
});
const externalHost = httpUrl({ form: 'origin' });
const durationOrDefault = duration();
/** "" (the default) means the top-level value. */
const nullableDuration: Schema<number | null> = {
  type: 'duration',
  parse: (value, at, ctx) => (value === '' ? null : durationOrDefault.parse(value, at, ctx)),
};
const attribute = string({ nonEmpty: true });

const headerAuth = object({
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
}, {
  check(value, at, ctx) {
    // Every 401 (407) carries at least one challenge (RFC 9110 §15.5.2); with neither scheme
    // there would be none to offer an API client.
    if (value.basic === false && value.bearer === false) {
      ctx.problems.add(at, 'basic and bearer cannot both be false: a 401 must offer at least one challenge (RFC 9110 §15.5.2)');
    }
  },
});

const upstreamBasicAuth = object({
  enabled: field(boolean(), { default: false, description: 'Send `Authorization: Basic` to the upstream from user attributes.' }),
  usernameAttribute: field(attribute, {
    default: 'app_username',
    description: 'Attribute holding the upstream username; falls back to the email.',
  }),
  passwordAttribute: field(attribute, {
    default: 'app_password',
    description: 'Attribute holding the upstream password; falls back to an empty password.',
  }),
});

const binding = object({
  policy: field(string({ nonEmpty: true }), { required: true, description: 'Name of a policy in `policiesDir`.' }),
  negate: field(boolean(), { default: false, description: 'Allow when the policy does not.' }),
});

const policies = object({
  mode: field(enumOf(['all', 'any']), { default: 'all', description: 'Whether all bindings or any one must allow.' }),
  bindings: field(list(binding), { default: [], description: 'Policies bound to this application; none allows every authenticated identity.' }),
});

const fields = {
  name: field(name, { required: true, description: 'Unique; used in realms, metrics and headers.' }),
  slug: field(string({ type: 'slug' }), {
    default: '',
    defaultText: 'the name',
    description: 'The application\'s slug, sent as `X-authentik-meta-app` (authentik: the application slug).',
  }),
  providerName: field(string(), {
    default: '',
    defaultText: 'the clientId',
    description: 'Sent as `X-authentik-meta-provider` (authentik: the provider\'s name).',
  }),
  sessionLifetime: renamed(
    'sessionLifetimeMs',
    field(nullableDuration, {
      default: '',
      defaultText: '`sessions.lifetime`',
      description: 'Upper bound of this application\'s sessions (authentik: the provider\'s access token validity).',
    }),
  ),
  externalHost: field(externalHost, { required: true, description: 'Public origin (`https://app.example.com`), no path.' }),
  mode: field(enumOf(['proxy', 'forward_single', 'forward_domain']), {
    default: 'proxy',
    description: '`proxy` forwards to internalHost; `forward_single` / `forward_domain` answer a reverse proxy\'s auth requests.',
  }),
  internalHost: field(httpUrl({ form: 'base', emptyAsNull: true }), {
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
  identity: field(identityOverrides, { default: {}, description: 'Overrides of any `identity` key for this application.' }),
};

type Application = Partly<{
  readonly mode: 'proxy' | 'forward_single' | 'forward_domain';
  readonly externalHost: string;
  readonly internalHost: string | null;
  readonly cookieDomain: string;
}>;

/** Keys whose meaning depends on `mode`: one mode's setting silently ignored in another is a trap. */
function checkMode(app: Application, at: Path, ctx: Context): void {
  const { mode, internalHost, cookieDomain: domain, externalHost: origin } = app;
  if (mode === INVALID) return;
  if (mode === 'proxy' && internalHost === null) ctx.problems.add(at.key('internalHost'), 'required in proxy mode');
  if (mode !== 'proxy' && internalHost !== null && internalHost !== INVALID) {
    ctx.problems.add(at.key('internalHost'), `only used in proxy mode, but mode is ${mode}`);
  }
  if (mode !== 'forward_domain') {
    if (domain !== '' && domain !== INVALID) ctx.problems.add(at.key('cookieDomain'), `only used in forward_domain mode, but mode is ${mode}`);
    return;
  }
  if (domain === '') ctx.problems.add(at.key('cookieDomain'), 'required in forward_domain mode');
  else if (domain !== INVALID && origin !== INVALID && !isUnderDomain(new URL(origin).hostname, domain)) {
    ctx.problems.add(at.key('cookieDomain'), `must contain the externalHost "${new URL(origin).hostname}", got "${domain}"`);
  }
}

export const application = object(fields, { check: checkMode });

/** Names and hosts route requests: two applications may share neither. */
export function checkUnique(at: Path, ctx: Context, raw: readonly unknown[]): void {
  const names = new Map<string, Path>();
  const hosts = new Map<string, Path>();
  raw.forEach((item, i) => {
    if (!isPlainObject(item)) return;
    const here = at.index(i);
    const n = peek(name, item['name'], here, ctx.root);
    const first = n === INVALID ? undefined : names.get(n);
    if (n !== INVALID && first !== undefined) {
      ctx.problems.add(here.key('name'), `duplicate application name "${n}" (first used by ${first.text})`);
    } else if (n !== INVALID) names.set(n, here);
    const origin = peek(externalHost, item['externalHost'], here, ctx.root);
    const host = origin === INVALID ? undefined : new URL(origin).host;
    const owner = host === undefined ? undefined : hosts.get(host);
    if (host !== undefined && owner !== undefined) {
      ctx.problems.add(here.key('externalHost'), `host "${host}" is already used by ${owner.text}`);
    } else if (host !== undefined) hosts.set(host, here);
  });
}

export const applications = list(application, {
  check: (_items, at, ctx, raw) => {
    if (raw.length === 0 && ctx.applicationsMayBeEmpty !== true) ctx.problems.add(at, 'expected at least one application');
    checkUnique(at, ctx, raw);
  },
});
