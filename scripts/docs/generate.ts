/**
 * `npm run docs`: writes every generated block of the documentation (scripts/docs/blocks.ts) from the code
 * it describes: the workflow picture in README.md from the synthesized definition, the events reference in
 * docs/events.md and the configuration reference in docs/configuration.md from the contract. `npm run docs -- --check` writes nothing and exits 1 when a block is
 * stale; test/scripts/docs.test.ts runs that check (Prettier, which formats the documents, loads itself
 * with a dynamic import that Jest's module system cannot run, so the check runs as a command).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';
import * as prettier from 'prettier';
import { readBlock, writeBlock } from './blocks';
import { configurationReference } from './configuration';
import { exampleDiagram } from './diagram';
import { eventsReference } from './events';

/** The project folder (`--root DIR`: another copy of the documents, for the tests). */
const rootArg = process.argv.indexOf('--root');
export const ROOT = rootArg > 0 ? path.resolve(process.argv[rootArg + 1]) : path.join(__dirname, '..', '..');

export interface GeneratedBlock {
  /** The document, relative to the project folder. */
  readonly file: string;
  readonly block: string;
  readonly content: () => string;
}

export const GENERATED_BLOCKS: readonly GeneratedBlock[] = [
  {
    file: 'README.md',
    block: 'workflow-diagram',
    content: () => `\`\`\`mermaid\n${exampleDiagram()}\n\`\`\``,
  },
  { file: 'docs/events.md', block: 'events', content: eventsReference },
  { file: 'docs/configuration.md', block: 'configuration', content: configurationReference },
];

/** The document as it is, and with the block as generated now, formatted as Prettier formats the rest. */
export async function generated({
  file,
  block,
  content,
}: GeneratedBlock): Promise<{ current: string; fresh: string }> {
  const filepath = path.join(ROOT, file);
  const current = fs.readFileSync(filepath, 'utf8');
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return {
    current,
    fresh: await prettier.format(writeBlock(current, block, content()), { ...options, filepath }),
  };
}

/** `file: block` of every block that differs from what it would be generated as now. */
export async function staleBlocks(): Promise<string[]> {
  const stale: string[] = [];
  for (const b of GENERATED_BLOCKS) {
    const { current, fresh } = await generated(b);
    if (readBlock(current, b.block) !== readBlock(fresh, b.block)) stale.push(`${b.file}: ${b.block}`);
  }
  return stale;
}

async function main(): Promise<void> {
  if (process.argv.includes('--check')) {
    const stale = await staleBlocks();
    for (const s of stale) process.stderr.write(`stale: ${s} (npm run docs writes it)\n`);
    process.exitCode = stale.length > 0 ? 1 : 0;
    return;
  }
  for (const b of GENERATED_BLOCKS) {
    fs.writeFileSync(path.join(ROOT, b.file), (await generated(b)).fresh);
    process.stdout.write(`${b.file}: ${b.block} written\n`);
  }
}

if (require.main === module) void main();
