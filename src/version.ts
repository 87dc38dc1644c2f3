/** Portcullis's version, from package.json (sent upstream as X-authentik-meta-version). */

import { createRequire } from 'node:module';

const manifest = createRequire(import.meta.url)('../package.json') as { version: string };

export const VERSION: string = manifest.version;

/**
 * What Portcullis calls itself to authentik (API `User-Agent`) and to upstreams
 * (`X-authentik-meta-version`): authentik's outposts send `goauthentik.io/outpost/<version>`.
 */
export const OUTPOST_USER_AGENT = `goauthentik.io/outpost/${VERSION}`;
