/**
 * Generated blocks in hand-written documents: the text between `<!-- generated:NAME (npm run docs) -->`
 * and `<!-- generated:NAME:end -->` is written by `npm run docs` and checked fresh by a test; the rest of
 * the file is prose.
 */

const start = (name: string) => `<!-- generated:${name} (npm run docs) -->`;
const end = (name: string) => `<!-- generated:${name}:end -->`;

/** The text of block `name` in `document`, or undefined when the document has no such block. */
export function readBlock(document: string, name: string): string | undefined {
  const from = document.indexOf(start(name));
  const to = document.indexOf(end(name));
  return from < 0 || to < from ? undefined : document.slice(from + start(name).length, to);
}

/** `document` with block `name` holding `content`; throws when the document has no such block. */
export function writeBlock(document: string, name: string, content: string): string {
  if (readBlock(document, name) === undefined) throw new Error(`no ${start(name)} ... ${end(name)} block`);
  const from = document.indexOf(start(name)) + start(name).length;
  return `${document.slice(0, from)}${blockText(content)}${document.slice(document.indexOf(end(name)))}`;
}

/** What a block holds for `content`: the content between blank lines. */
export const blockText = (content: string) => `\n\n${content.trim()}\n\n`;
