/**
 * The rooms' import rules (eslint.config.mjs `roomRules`, CONTRIBUTING.md): each flags the import it is
 * there to stop, and lets the legal ones through. One ESLint instance with the project's own config.
 * @see https://eslint.org/docs/latest/integrate/nodejs-api#-eslintlinttextcode-options
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Lints each `[file, code]` as if `code` were that file (a path from the root) and gives, per case, the
 * messages of no-restricted-imports. In a child process: ESLint loads eslint.config.mjs with a dynamic
 * import, which jest's module sandbox refuses.
 */
function roomViolations(cases: [string, string][]): Promise<string[][]> {
  const lint = `
    import { ESLint } from 'eslint';
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const [filePath, code] of JSON.parse(process.argv[1])) {
      const [result] = await eslint.lintText(code + '\\nexport {};\\n', { filePath });
      out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
    }
    process.stdout.write(JSON.stringify(out));`;
  const args = JSON.stringify(cases.map(([file, code]) => [path.join(ROOT, file), code]));
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--input-type=module', '-e', lint, args],
      { cwd: ROOT },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as string[][]),
    ),
  );
}

/** `[file, code, part of the message]`: an import the rule of the file's room must flag. */
const VIOLATIONS: [string, string, string][] = [
  ['lib/ml-export-workflow.ts', "import { x } from '../lambda/shared/x';", 'lib/ imports contract/'],
  ['lib/private/nag.ts', "import { x } from '../../lambda/shared/x';", 'lib/ imports contract/'],
  ['lib/private/nag.ts', "import { x } from '../../app/config';", 'lib/ imports contract/'],
  ['lib/export-bucket.ts', "import { NagSuppressions } from 'cdk-nag';", 'no package but aws-cdk-lib'],
  ['lib/export-bucket.ts', "import * as z from 'zod';", 'no package but aws-cdk-lib'],
  ['lambda/cancel-stopped-run/index.ts', "import { x } from '../prepare-run';", 'another handler'],
  ['lambda/cancel-stopped-run/x.ts', "import { x } from '../prepare-run/index';", 'another handler'],
  ['lambda/finalize-export/index.ts', "import { x } from '../../lambda/prepare-run';", 'another handler'],
  [
    'lambda/finalize-export/index.ts',
    "import { x } from '../../lib/private/x';",
    'contract/ and lambda/shared/',
  ],
  ['lambda/finalize-export/index.ts', "import { Duration } from 'aws-cdk-lib';", 'no CDK'],
  ['lambda/shared/catalog.ts', "import { x } from '../prepare-run';", 'never imports a handler'],
  ['lambda/shared/catalog.ts', "import { x } from '../../lib';", 'lambda/shared/ imports contract/'],
  ['contract/names.ts', "import { Duration } from 'aws-cdk-lib';", 'zod only'],
  ['contract/names.ts', "import * as fs from 'node:fs';", 'zod only'],
  ['contract/names.ts', "import { x } from '../lambda/shared/x';", 'nothing else in this repository'],
  ['app/config.ts', "import { x } from '../lib/private/x';", 'through its index only'],
  ['bin/app.ts', "import { MlExportWorkflow } from '../lib/ml-export-workflow';", 'through its index only'],
  ['app/app.ts', "import { x } from '../lambda/shared/x';", 'like any consumer'],
];

/** `[file, code]`: imports each room allows. */
const LEGAL: [string, string][] = [
  [
    'lib/private/nag.ts',
    "import { x } from '../../contract/names';  import { y } from '../export-location';",
  ],
  ['lib/ml-export-workflow.ts', "import * as fs from 'node:fs';  import { Stack } from 'aws-cdk-lib';"],
  [
    'lambda/prepare-run/index.ts',
    "import { x } from '../shared/x';  import { y } from '../../contract/names';",
  ],
  [
    'lambda/prepare-run/index.ts',
    "import { GlueClient } from '@aws-sdk/client-glue';  import { z } from './z';",
  ],
  ['lambda/shared/catalog.ts', "import { x } from './x';  import { y } from '../../contract/catalog';"],
  [
    'contract/config.ts',
    "import * as z from 'zod';  import * as zm from 'zod/mini';  import { x } from './names';",
  ],
  ['app/config.ts', "import { ExportLocation } from '../lib';  import { x } from '../contract/config';"],
  ['bin/app.ts', "import { buildApp } from '../app/app';  import { MlExportWorkflow } from '../lib/index';"],
  ['local/run.ts', "import { x } from '../lambda/prepare-run';  import { y } from '../lib/private/x';"],
];

describe('the room rules', () => {
  let found: string[][];
  beforeAll(async () => {
    found = await roomViolations([...VIOLATIONS, ...LEGAL].map(([file, code]) => [file, code]));
  }, 60_000);

  it.each(VIOLATIONS.map((c, i) => [...c, i] as const))('%s: flags %s', (_file, _code, message, i) => {
    expect(found[i]).toContainEqual(expect.stringContaining(message));
  });

  it.each(LEGAL.map((c, i) => [...c, VIOLATIONS.length + i] as const))(
    '%s: lets %s through',
    (_file, _code, i) => expect(found[i]).toEqual([]),
  );
});
