import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { authentikSettingsFrom, localSettingsConfig } from '../../src/authentik/index.js';

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8')) as {
  services: Record<string, { image?: string; build?: string; command?: string; environment?: Record<string, string>; ports?: string[]; configs?: { source: string; target: string }[]; depends_on?: Record<string, unknown> }>;
  configs: Record<string, { content: string }>;
};

describe('docker-compose.yml (no Docker engine here: validated as a file)', () => {
  it('has authentik server and worker with PostgreSQL and Redis, Portcullis built from the repo, and a demo upstream', () => {
    const services = compose.services;
    expect(Object.keys(services).sort()).toEqual(['portcullis', 'postgresql', 'redis', 'server', 'whoami', 'worker']);
    expect(services.server?.command).toBe('server');
    expect(services.worker?.command).toBe('worker');
    expect(services.server?.image).toMatch(/goauthentik\/server/);
    expect(services.portcullis?.build).toBe('.');
    expect(services.portcullis?.ports).toContain('8080:9000');
    expect(Object.keys(services.portcullis?.depends_on ?? {})).toEqual(expect.arrayContaining(['redis', 'server']));
  });

  it('wires authentik to PostgreSQL and Redis through environment variables that must be set', () => {
    const env = compose.services.server?.environment ?? {};
    expect(env.AUTHENTIK_POSTGRESQL__HOST).toBe('postgresql');
    expect(env.AUTHENTIK_REDIS__HOST).toBe('redis');
    expect(env.AUTHENTIK_SECRET_KEY).toMatch(/^\$\{AUTHENTIK_SECRET_KEY:\?/);
    expect(compose.services.worker?.environment).toEqual(env);
  });

  it('runs Portcullis as an authentik outpost: only AUTHENTIK_HOST and AUTHENTIK_TOKEN, local settings from a file', () => {
    const service = compose.services.portcullis;
    const env = service?.environment ?? {};
    expect(env.AUTHENTIK_HOST).toMatch(/^\$\{AUTHENTIK_HOST:\?/);
    expect(env.AUTHENTIK_TOKEN).toMatch(/^\$\{AUTHENTIK_TOKEN:\?/);
    // Nothing copied from the provider by hand.
    expect(Object.keys(env).filter((name) => /CLIENT|SECRET/.test(name))).toEqual([]);
    const mount = service?.configs?.[0];
    expect(mount?.target).toBe(env.PORTCULLIS_CONFIG);
    const content = compose.configs[mount?.source ?? '']?.content ?? '';
    const settings = authentikSettingsFrom({ AUTHENTIK_HOST: 'https://authentik.example.com', AUTHENTIK_TOKEN: 'outpost-token' });
    const config = localSettingsConfig(settings, { source: 'compose:portcullis', baseDir: '/etc/portcullis', raw: parse(content) as unknown });
    expect(config.sessions.store).toBe('redis');
    expect(config.applications).toEqual([]);
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(config.tlsListen).toEqual({ host: '0.0.0.0', port: 9443 });
    expect(service?.ports).toEqual(expect.arrayContaining(['8080:9000', '8443:9443']));
  });

  it('builds Portcullis in stages, without dev dependencies, as a non-root user', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toContain('--omit=dev');
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
