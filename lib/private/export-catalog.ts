/**
 * The export catalog: every configured export, validated and normalized, written to a file that is
 * bundled with the handlers that look exports up (lambda/shared/catalog.ts), so that neither the
 * definition nor a run's list of exports grows with their number. A value known only at deployment (a
 * bucket or role the stack creates) appears as a placeholder, filled from the functions' environment at run
 * time (deploy-time-values.ts).
 */
import { Stage } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG_FILE, type Catalog } from '../../contract/catalog';
import type { ExportSpec } from '../../contract/exports';
import type { DeployTimeValues } from './deploy-time-values';

export interface ExportCatalog {
  /** The exports as the catalog holds them (placeholders for values known at deployment). */
  readonly exports: ExportSpec[];
  /** The catalog file in the cloud assembly. */
  readonly file: string;
  /** What fills the placeholders, and the deployment's default bucket and role. */
  readonly environment: Record<string, string>;
}

export function writeExportCatalog(
  scope: Construct,
  specs: readonly ExportSpec[],
  allowedOutputS3Prefixes: readonly string[],
  values: DeployTimeValues,
): ExportCatalog {
  const catalog: Catalog = {
    exports: specs.map((e) => values.toCatalog(e)),
    allowedOutputS3Prefixes: allowedOutputS3Prefixes.map((p) => values.toCatalog(p)),
  };
  const text = JSON.stringify(catalog);
  return { exports: catalog.exports, file: writeCatalog(scope, text), environment: values.environment(text) };
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
