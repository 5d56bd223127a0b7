/** Reading docker-compose.yml for the checks and generators of scripts/deploy (no Docker needed). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const repoRoot = path.join(__dirname, '..', '..');
export const composePath = path.join(repoRoot, 'docker-compose.yml');

export interface Interpolation {
  name: string;
  /** `:-`/`-` default, `:?`/`?` required with a message, `:+`/`+` alternative; undefined for a bare `${VAR}`/`$VAR`. */
  op?: string;
  arg?: string;
  raw: string;
}

/**
 * Every interpolation in compose text, as compose reads it: `$$` is a literal `$`; `${NAME}`, `${NAME:-x}`,
 * `${NAME-x}`, `${NAME:?msg}`, `${NAME?msg}`, `${NAME:+x}` and the bare `$NAME`.
 */
export function interpolations(text: string): Interpolation[] {
  const found: Interpolation[] = [];
  const re = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\{[^}]*\}?/g;
  for (const m of text.matchAll(re)) {
    if (m[0] === '$$') continue;
    if (m[1]) found.push({ name: m[1], op: m[2], arg: m[3], raw: m[0] });
    else if (m[4]) found.push({ name: m[4], raw: m[0] });
    else found.push({ name: '', raw: m[0] });
  }
  return found;
}

/** Every string value of the parsed file (compose interpolates values, never keys or comments). */
export function stringsOf(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(stringsOf);
  if (node && typeof node === 'object') return Object.values(node).flatMap(stringsOf);
  return [];
}

/** The interpolations of docker-compose.yml's values. */
export function composeInterpolations(compose: ComposeFile = loadCompose()): Interpolation[] {
  return stringsOf(compose).flatMap(interpolations);
}

export type ComposeFile = {
  name?: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string; environment?: string }>;
  [key: string]: unknown;
};

export type ComposeService = {
  image?: string;
  build?: unknown;
  ports?: unknown[];
  expose?: unknown[];
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: (string | { path: string; required?: boolean })[] | string;
  secrets?: (string | { source: string })[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  [key: string]: unknown;
};

export function readComposeText(): string {
  return readFileSync(composePath, 'utf8');
}

/** The file as compose sees it before interpolation: anchors and `<<` merges resolved. */
export function loadCompose(text = readComposeText()): ComposeFile {
  return parse(text, { merge: true, maxAliasCount: -1 }) as ComposeFile;
}

/** A service's environment as a map (compose allows a list of `KEY=value` too). */
export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((line) => [line.split('=')[0] ?? '', line.slice(line.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}
