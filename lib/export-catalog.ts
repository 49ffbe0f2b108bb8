/**
 * The export catalog: every configured export, validated and normalized, written to a file that is
 * bundled with the handlers that look exports up (lambda/shared/catalog.ts), so that neither the
 * definition nor a run's list of exports grows with their number. The bucket and role the construct
 * creates appear as placeholders, filled from the functions' environment at run time.
 */
import { Stage } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG_FILE, CATALOG_PLACEHOLDERS } from '../contract/catalog';
import type { ExportSpec } from '../contract/exports';
import { CREATED_BUCKET, withCreated } from './workflow-props';

export interface ExportCatalog {
  /** The exports as the catalog holds them (placeholders for the created bucket and role). */
  readonly exports: ExportSpec[];
  /** The catalog file in the cloud assembly. */
  readonly file: string;
  /** What fills the placeholders: the created bucket's name and role's ARN, where the catalog uses them. */
  readonly environment: Record<string, string>;
}

export function writeExportCatalog(
  scope: Construct,
  specs: readonly ExportSpec[],
  allowedOutputS3Prefixes: readonly string[],
  created: { bucketName?: string; roleArn?: string },
): ExportCatalog {
  const exports = specs.map((e) =>
    withCreated(e, {
      bucket: CATALOG_PLACEHOLDERS.outputBucket.text,
      roleArn: CATALOG_PLACEHOLDERS.personalizeRoleArn.text,
    }),
  );
  const catalogText = JSON.stringify({
    exports,
    allowedOutputS3Prefixes: allowedOutputS3Prefixes.map((p) =>
      p.replace(`s3://${CREATED_BUCKET}/`, `s3://${CATALOG_PLACEHOLDERS.outputBucket.text}/`),
    ),
  });
  const environment: Record<string, string> = {};
  if (created.bucketName && catalogText.includes(CATALOG_PLACEHOLDERS.outputBucket.text))
    environment[CATALOG_PLACEHOLDERS.outputBucket.env] = created.bucketName;
  if (created.roleArn && catalogText.includes(CATALOG_PLACEHOLDERS.personalizeRoleArn.text))
    environment[CATALOG_PLACEHOLDERS.personalizeRoleArn.env] = created.roleArn;
  return { exports, file: writeCatalog(scope, catalogText), environment };
}

/**
 * Writes the catalog where the bundling step copies it from: the cloud assembly folder (cdk.out), where a
 * user can read it too.
 */
function writeCatalog(scope: Construct, catalogText: string): string {
  const outdir = Stage.of(scope)?.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-'));
  fs.mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, `${scope.node.addr}.${CATALOG_FILE}`);
  fs.writeFileSync(file, catalogText);
  return file;
}
