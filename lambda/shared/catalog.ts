/**
 * The export catalog: the configured exports, validated at synth time and bundled next to the handlers
 * that need them (`export-catalog.json`). The state machine definition and the run's list of exports then
 * stay the same small size however many exports are configured: a run's list names configured exports,
 * and the start task looks each one up here.
 *
 * A bucket or role the stack creates has no name until deployment, so the catalog holds a placeholder
 * for it and the function's environment holds the deployed value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ExportNotConfiguredError, InvalidTaskStateError } from './errors';
import { toExportTask } from './naming';
import { isPlainObject } from '../../contract/validation';
import type { ExportItem, ExportSpec, ExportTask, ItemState, RunContext } from './types';
import { CATALOG_FILE, placeholdersIn, type Catalog } from '../../contract/catalog';

export { CATALOG_FILE, CATALOG_PLACEHOLDERS, type Catalog } from '../../contract/catalog';

/** The exports of a catalog's text, each placeholder filled (see {@link parseCatalogDocument}). */
export function parseCatalog(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  file: string,
): ExportSpec[] {
  return parseCatalogDocument(text, env, file).exports;
}

/**
 * A catalog's text, each placeholder filled with its value from `env` (the function's environment).
 * Throws naming the placeholder and variable when a value is missing.
 */
export function parseCatalogDocument(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  file: string,
): Catalog {
  let filled = text;
  for (const { text: placeholder, env: name } of placeholdersIn(text)) {
    const value = env[name];
    if (!value) {
      throw new InvalidTaskStateError(
        `the export catalog refers to ${placeholder} but the function has no ${name} environment variable`,
      );
    }
    filled = filled.split(placeholder).join(value);
  }
  const parsed = JSON.parse(filled) as { exports?: unknown; allowedOutputS3Prefixes?: unknown };
  if (!Array.isArray(parsed.exports)) {
    throw new InvalidTaskStateError(`the export catalog ${file} has no "exports" array`);
  }
  const specs = parsed.exports as ExportSpec[];
  const extra = Array.isArray(parsed.allowedOutputS3Prefixes)
    ? (parsed.allowedOutputS3Prefixes as string[])
    : [];
  return {
    exports: specs,
    allowedOutputS3Prefixes: [...new Set([...specs.map((e) => e.outputS3Prefix), ...extra])],
  };
}

let cached: { file: string; catalog: Catalog } | undefined;

/** The configured exports, read once per container (see {@link configuredCatalog}). */
export function configuredExports(): ExportSpec[] {
  return configuredCatalog().exports;
}

/**
 * The bundled catalog, read once per container. `ML_EXPORTS_CATALOG_FILE` may point elsewhere (tests);
 * by default the catalog is the file bundled beside the handler.
 */
export function configuredCatalog(): Catalog {
  const file = process.env.ML_EXPORTS_CATALOG_FILE ?? path.join(__dirname, CATALOG_FILE);
  if (cached?.file === file) return cached.catalog;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidTaskStateError(`the export catalog ${file} cannot be read: ${String(err)}`);
  }
  cached = { file, catalog: parseCatalogDocument(text, process.env, file) };
  return cached.catalog;
}

/** Whether an item carries its whole spec (an export given in the input) rather than a configured name. */
export function isFullSpec(item: ExportItem): item is ExportSpec {
  return 'outputS3Prefix' in item;
}

/** Whether the export has been resolved into this run's task (output path and job name set). */
export function isResolved(item: ExportItem | ExportTask): item is ExportTask {
  return 'outputS3Path' in item;
}

/** How a run's list carries this export: by type and name when it is configured exactly so. */
export function toItem(spec: ExportSpec, configured: ReadonlyMap<string, ExportSpec>): ExportItem {
  const same = configured.get(spec.name);
  // Field by field, whatever the order the fields were written in.
  const configuredSo = same !== undefined && isDeepStrictEqual(same, spec);
  return configuredSo ? { type: spec.type, name: spec.name } : spec;
}

/** The export's task for this run, looking a configured export up in the catalog. */
export function resolveExport(item: ExportItem | ExportTask, run: RunContext): ExportTask {
  if (!isPlainObject(item as unknown)) {
    throw new InvalidTaskStateError(`expected an export object; got ${JSON.stringify(item)}`);
  }
  if (isResolved(item)) return item;
  if (isFullSpec(item)) return toExportTask(item, run);
  const spec = configuredExports().find((e) => e.name === item?.name);
  if (!spec || spec.type !== item.type) {
    throw new ExportNotConfiguredError(
      `export "${item?.name}" (${item?.type}) is not in this deployment's configuration any more; ` +
        'it was removed or renamed after the run started',
    );
  }
  return toExportTask(spec, run);
}

/** The state with its export resolved, as the tasks after the start task see it. */
export function resolveState(state: ItemState): ItemState & { export: ExportTask } {
  if (!state?.export || !state.run) {
    throw new InvalidTaskStateError(
      `expected an export and its run context; got ${JSON.stringify(state).slice(0, 500)}`,
    );
  }
  return { ...state, export: resolveExport(state.export, state.run) };
}
