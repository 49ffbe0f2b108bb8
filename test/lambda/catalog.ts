/** Points the handlers at a catalog of these exports, as the bundled `export-catalog.json` would. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG_FILE } from '../../lambda/shared/catalog';
import type { ExportSpec } from '../../lambda/shared/types';

export function useCatalog(specs: readonly ExportSpec[] | string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-test-')), CATALOG_FILE);
  fs.writeFileSync(file, typeof specs === 'string' ? specs : JSON.stringify({ exports: specs }));
  process.env.ML_EXPORTS_CATALOG_FILE = file;
  return file;
}
