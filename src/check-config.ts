/**
 * `portcullis check-config [--connect]`: validates the configuration and the policies, and
 * with `--connect` also asks every identity provider for its discovery document and every
 * upstream for an answer, printing what each application is and what it found.
 */

import { request } from 'undici';
import type { Config } from './config/index.js';
import { IdpDirectory } from './idp/index.js';
import { compileAllApplicationPolicies, loadPolicies, type PolicySet } from './policy/index.js';
import { messageOf } from './errors/index.js';

export interface CheckReport {
  readonly lines: readonly string[];
  readonly ok: boolean;
}

export async function validatePolicies(config: Config): Promise<PolicySet> {
  const set = await loadPolicies(config.policiesDir);
  compileAllApplicationPolicies(set, config.applications, { source: config.source });
  return set;
}

/** Describes every application and checks that its IdP and upstream answer. */
export async function checkConnections(config: Config): Promise<CheckReport> {
  const lines: string[] = [];
  let ok = true;
  const idps = new IdpDirectory({
    applications: config.applications,
    timeoutMs: config.timeouts.idpMs,
    jwksCooldownMs: config.cache.jwksCooldownMs,
    jwksMaxAgeMs: config.cache.jwksMaxAgeMs,
    log: { warn: () => undefined, info: () => undefined },
  });
  for (const app of config.applications) {
    const bindings = app.policies.bindings.map((b) => `${b.negate ? 'not ' : ''}${b.policy}`);
    lines.push(`${app.name}: ${app.mode}, ${app.externalHost}${app.internalHost === null ? '' : ` -> ${app.internalHost}`}`);
    lines.push(`  policies: ${bindings.length === 0 ? 'none (every signed-in identity)' : `${app.policies.mode}(${bindings.join(', ')})`}`);
    try {
      await idps.forApplication(app.name).configuration();
      lines.push(`  identity provider ${app.identity.issuer}: discovered`);
    } catch (error) {
      ok = false;
      lines.push(`  identity provider ${app.identity.issuer}: NOT REACHABLE (${messageOf(error)})`);
    }
    if (app.internalHost !== null) {
      const upstream = await reach(app.internalHost, config.timeouts.upstreamConnectMs + config.timeouts.upstreamResponseMs);
      ok &&= upstream.ok;
      lines.push(`  upstream ${app.internalHost}: ${upstream.text}`);
    }
  }
  idps.close();
  return { lines, ok };
}

async function reach(url: string, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  try {
    const response = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await response.body.dump();
    return { ok: true, text: `answers (HTTP ${response.statusCode})` };
  } catch (error) {
    return { ok: false, text: `NOT REACHABLE (${messageOf(error)})` };
  }
}
