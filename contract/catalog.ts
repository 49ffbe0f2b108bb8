/**
 * The export catalog's file and its placeholders: what lib/ writes at synth (lib/export-catalog.ts) and
 * the handlers read at run time (lambda/shared/catalog.ts). The configured exports, validated at synth,
 * are bundled next to the handlers that need them, so that neither the definition nor a run's list of
 * exports grows with their number. A bucket or role the stack creates has no name until deployment: the
 * catalog holds a placeholder for it, and the function's environment the deployed value.
 */
import type { ExportSpec } from './exports';

export const CATALOG_FILE = 'export-catalog.json';

/** Placeholders in the catalog, and the environment variables holding their deployed values. */
export const CATALOG_PLACEHOLDERS = {
  outputBucket: { text: '{{ml-exports:output-bucket}}', env: 'ML_EXPORTS_OUTPUT_BUCKET' },
  personalizeRoleArn: { text: '{{ml-exports:personalize-role-arn}}', env: 'ML_EXPORTS_PERSONALIZE_ROLE_ARN' },
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
