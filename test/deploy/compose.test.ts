import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/index.js';

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

  it('gives Portcullis a configuration that validates once compose has substituted its variables', () => {
    const mount = compose.services.portcullis?.configs?.[0];
    expect(mount?.target).toBe('/etc/portcullis/portcullis.yaml');
    const content = compose.configs[mount?.source ?? '']?.content ?? '';
    // Compose turns `$${X}` into `${X}`, which Portcullis then reads from its own environment.
    const asMounted = content.replaceAll('$${', '${');
    const env = Object.fromEntries(
      Object.entries(compose.services.portcullis?.environment ?? {}).map(([name]) => [name, `value-of-${name}`]),
    );
    const config = parseConfig(asMounted, {
      source: 'compose:portcullis',
      env: {
        ...env,
        PORTCULLIS_SECRET: 'x'.repeat(48),
        AUTHENTIK_HOST: 'https://authentik.example.com',
        APP_HOST: 'https://whoami.example.com',
        AUTHENTIK_APP_SLUG: 'whoami',
      },
      baseDir: '/etc/portcullis',
    });
    expect(config.sessions.store).toBe('redis');
    expect(config.applications[0]?.identity.issuer).toBe('https://authentik.example.com/application/o/whoami/');
    expect(config.applications[0]?.internalHost).toBe('http://whoami');
    for (const name of ['PORTCULLIS_SECRET', 'PORTCULLIS_CLIENT_ID', 'PORTCULLIS_CLIENT_SECRET', 'AUTHENTIK_HOST', 'APP_HOST']) {
      expect(content, name).toContain(`$\${${name}}`);
      expect(compose.services.portcullis?.environment?.[name], name).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
    }
  });

  it('builds Portcullis in stages, without dev dependencies, as a non-root user', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toContain('--omit=dev');
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});
