/**
 * The jsii assembly (`.jsii`) that Python and the other jsii languages see, and the API reference generated
 * from it, both written by the build the tier's global setup runs (test/package/global-setup.cjs).
 * jsii compiles some TypeScript it cannot express without an error: a string-literal union becomes
 * `string`, and `export const` or a type alias is left out. These tests catch both.
 * @see https://aws.github.io/jsii/user-guides/lib-author/typescript-restrictions/
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '../..');

interface TypeReference {
  primitive?: string;
  fqn?: string;
  collection?: { kind: string; elementtype: TypeReference };
}
interface AssemblyType {
  kind: 'class' | 'interface' | 'enum';
  name: string;
  properties?: { name: string; type: TypeReference }[];
}
interface Assembly {
  name: string;
  types: Record<string, AssemblyType>;
  dependencies: Record<string, string>;
  bundled?: Record<string, string>;
}

const assembly = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8')) as Assembly;

/**
 * Every name lib/index.ts exports, values and types alike, read from its export declarations (the
 * syntax only: a type check of the library would take seconds).
 */
function exportedNames(): string[] {
  const file = path.join(ROOT, 'lib', 'index.ts');
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  return source.statements.flatMap((statement) => {
    if (ts.isExportDeclaration(statement)) {
      // `export * from` would need the module's own exports: list them by name instead.
      if (!statement.exportClause || !ts.isNamedExports(statement.exportClause))
        throw new Error(`lib/index.ts: ${statement.getText(source)}: export each name explicitly`);
      return statement.exportClause.elements.map((e) => e.name.text);
    }
    const exported = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (!exported) return [];
    if (ts.isVariableStatement(statement))
      return statement.declarationList.declarations.map((d) => d.name.getText(source));
    const name = (statement as ts.DeclarationStatement).name;
    return name ? [name.getText(source)] : [];
  });
}

function property(type: string, name: string): TypeReference | undefined {
  return assembly.types[`${assembly.name}.${type}`]?.properties?.find((p) => p.name === name)?.type;
}

describe('the jsii assembly', () => {
  it('holds every type lib/index.ts exports, and nothing else', () => {
    const types = Object.values(assembly.types).map((t) => t.name);
    expect(types.sort()).toEqual(exportedNames().sort());
  });

  it('keeps the private constructs private', () => {
    const types = Object.values(assembly.types).map((t) => t.name);
    for (const internal of [
      'ExportFunction',
      'ExportOperations',
      'EventSchemas',
      'RunResultsBucket',
      'StoppedRunCleanup',
      'PersonalizeExportRole',
      'DeadLetterQueue',
    ])
      expect(types).not.toContain(internal);
  });

  it('types the closed sets by their enums, not as strings', () => {
    expect(property('PersonalizeExportProps', 'ingestionMode')).toEqual({ fqn: 'ml-exports.IngestionMode' });
    expect(property('MlExportWorkflowProps', 'pollingStrategy')).toEqual({
      fqn: 'ml-exports.PollingStrategy',
    });
    expect(assembly.types['ml-exports.ExportEventType'].kind).toBe('enum');
  });

  it('depends on aws-cdk-lib and constructs only, with zod bundled', () => {
    expect(Object.keys(assembly.dependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(Object.keys(assembly.bundled ?? {})).toEqual(['zod']);
  });
});

describe('API.md', () => {
  it('is the one jsii-docgen generates from the assembly (run `npm run build` and commit it)', () => {
    const committed = fs.readFileSync(process.env.ML_EXPORTS_API_MD_BEFORE_BUILD!, 'utf8').split('\n');
    const generated = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8').split('\n');
    const changed = generated.flatMap((line, i) =>
      line === committed[i]
        ? []
        : [`line ${i + 1}: ${JSON.stringify(committed[i])} -> ${JSON.stringify(line)}`],
    );
    expect({ changed: changed.slice(0, 5), lines: committed.length }).toEqual({
      changed: [],
      lines: generated.length,
    });
  });
});
