/**
 * The export catalog's file and its placeholders: what lib/ writes at synth (lib/export-catalog.ts) and
 * the handlers read at run time (lambda/shared/catalog.ts). The configured exports, validated at synth,
 * are bundled next to the handlers that need them, so that neither the definition nor a run's list of
 * exports grows with their number. A bucket or role the stack creates has no name until deployment: the
 * catalog holds a placeholder for it, and the function's environment the deployed value.
 */
import type { ExportSpec } from './exports';

export const CATALOG_FILE = 'export-catalog.json';

/** A value known only at deployment: its placeholder in the catalog, and the variable holding it. */
export interface CatalogPlaceholder {
  readonly text: string;
  readonly env: string;
}

/** `{{ml-exports:<name>}}`, filled from the environment variable `ML_EXPORTS_<NAME>`. */
export function catalogPlaceholder(name: string): CatalogPlaceholder {
  return { text: `{{ml-exports:${name}}}`, env: `ML_EXPORTS_${name.toUpperCase().replace(/-/g, '_')}` };
}

/** Every placeholder in a catalog's text. */
export function placeholdersIn(text: string): CatalogPlaceholder[] {
  const names = new Set([...text.matchAll(/\{\{ml-exports:([a-z0-9-]+)\}\}/g)].map((m) => m[1]));
  return [...names].map(catalogPlaceholder);
}

/**
 * The deployment's own defaults, which exports given in an execution's input use too: the bucket their key
 * prefixes are placed in, and the role of a Personalize export without `roleArn`. Their variables are set
 * whenever the deployment has them; the catalog holds their placeholders where their values are known only
 * at deployment (a bucket or role the stack creates). Any other such value is `{{ml-exports:value-<n>}}`.
 */
export const CATALOG_PLACEHOLDERS = {
  outputBucket: catalogPlaceholder('output-bucket'),
  personalizeRoleArn: catalogPlaceholder('personalize-role-arn'),
} as const;

/** The catalog file: the configured exports, and where explicit exports of the input may write. */
export interface Catalog {
  readonly exports: ExportSpec[];
  /**
   * S3 prefixes an export given in the execution input may write under: the configured exports' prefixes
   * and the configuration's `allowedOutputS3Prefixes`.
   */
  readonly allowedOutputS3Prefixes: string[];
}
