/**
 * The proxy configuration snippets of docs/forward-auth.md. They live once, in
 * fixtures/, written for the documented example addresses (Portcullis on 127.0.0.1:9000, the
 * application on 127.0.0.1:3000, the site app.example.com); the tests run them after
 * replacing exactly those addresses, and readme.test.ts checks the document quotes them
 * unchanged. nginx's snippet comes in two parts: the upstream { } blocks of the http { }
 * context, which alone name the addresses, and the locations of the site's server { }.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const SNIPPETS = {
  nginx: 'nginx.conf',
  nginxUpstreams: 'nginx-upstreams.conf',
  caddy: 'Caddyfile',
  traefik: 'traefik.yaml',
  envoy: 'envoy.yaml',
} as const;

export type SnippetName = keyof typeof SNIPPETS;

export const EXAMPLE_PORTCULLIS = '127.0.0.1:9000';
export const EXAMPLE_UPSTREAM = '127.0.0.1:3000';
export const EXAMPLE_SITE = 'app.example.com';

export function snippetPath(name: SnippetName): string {
  return fileURLToPath(new URL(`./fixtures/${SNIPPETS[name]}`, import.meta.url));
}

export function snippet(name: SnippetName): string {
  return readFileSync(snippetPath(name), 'utf8');
}

export interface Addresses {
  /** `host:port` of the gateway under test. */
  readonly portcullis: string;
  /** `host:port` of the echo upstream. */
  readonly upstream: string;
}

/**
 * The example addresses each snippet is written with. nginx's server part has none: it
 * reaches Portcullis and the application only through the upstream { } blocks, whose
 * keep-alive a direct `proxy_pass http://127.0.0.1:…` would bypass.
 */
const ADDRESSES_IN: Readonly<Record<SnippetName, readonly (keyof Addresses)[]>> = {
  nginx: [],
  nginxUpstreams: ['portcullis', 'upstream'],
  caddy: ['portcullis', 'upstream'],
  traefik: ['portcullis', 'upstream'],
  envoy: ['portcullis', 'upstream'],
};

const EXAMPLE: Readonly<Record<keyof Addresses, string>> = { portcullis: EXAMPLE_PORTCULLIS, upstream: EXAMPLE_UPSTREAM };

/** The snippet with the example addresses replaced; fails when one is no longer there, or is where it should not be. */
export function snippetFor(name: SnippetName, addresses: Addresses): string {
  let text = snippet(name);
  for (const key of Object.keys(EXAMPLE) as (keyof Addresses)[]) {
    if (ADDRESSES_IN[name].includes(key)) {
      text = replaceAll(text, EXAMPLE[key], addresses[key]);
    } else if (text.includes(EXAMPLE[key])) {
      throw new Error(`the ${name} snippet names ${EXAMPLE[key]}, which it should reach through its upstream { } block`);
    }
  }
  return text;
}

/** The Caddy site block, serving every host on a loopback port instead of app.example.com. */
export function caddySite(addresses: Addresses, port: number): string {
  return replaceAll(snippetFor('caddy', addresses), `${EXAMPLE_SITE} {`, `http://:${port} {\n\tbind 127.0.0.1`);
}

/** Parsed YAML of a snippet (Traefik, Envoy), addresses replaced. */
export function snippetYaml(name: 'traefik' | 'envoy', addresses: Addresses): unknown {
  return parse(snippetFor(name, addresses));
}

function replaceAll(text: string, from: string, to: string): string {
  if (!text.includes(from)) {
    throw new Error(`the snippet no longer contains ${JSON.stringify(from)}; update the test's templating`);
  }
  return text.split(from).join(to);
}
