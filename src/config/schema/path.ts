/**
 * Dotted paths into the configuration document, as shown to operators:
 * `sessions.redis.url`, `applications[0].internalHost`, `additionalHeaders["X Bad"]`.
 */

export interface Path {
  /** The rendered path; '' for the document root. */
  readonly text: string;
  key(name: string): Path;
  index(position: number): Path;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

class DottedPath implements Path {
  constructor(readonly text: string) {}

  key(name: string): Path {
    if (!PLAIN_KEY.test(name)) return new DottedPath(`${this.text}[${JSON.stringify(name)}]`);
    return new DottedPath(this.text === '' ? name : `${this.text}.${name}`);
  }

  index(position: number): Path {
    return new DottedPath(`${this.text}[${position}]`);
  }
}

export const ROOT: Path = new DottedPath('');

/**
 * A path over a value merged from several places (the top-level `identity` block and an
 * application's overrides): each key reports where its value was actually written, and a key
 * written nowhere reports under `fallback`.
 */
export class MergedPath implements Path {
  constructor(
    private readonly fallback: Path,
    private readonly origins: ReadonlyMap<string, Path>,
  ) {}

  get text(): string {
    return this.fallback.text;
  }

  key(name: string): Path {
    return this.origins.get(name) ?? this.fallback.key(name);
  }

  index(position: number): Path {
    return this.fallback.index(position);
  }
}
