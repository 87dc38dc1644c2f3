/** Portcullis's version, from package.json (sent upstream as X-authentik-meta-version). */

import { createRequire } from 'node:module';

const manifest = createRequire(import.meta.url)('../package.json') as { version: string };

export const VERSION: string = manifest.version;
