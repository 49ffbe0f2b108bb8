/**
 * The local folder that mirrors S3 for people to look at: an object `s3://<bucket>/<key>` is written to
 * `<outDir>/s3/<bucket>/<key>`, never outside it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../limits';
import { ServiceError } from './service-error';

export class LocalS3Folder {
  /** Every file written, in the order written. */
  readonly filesWritten: string[] = [];

  constructor(private readonly outDir: string) {}

  /**
   * Where an S3 object is kept locally: `<outDir>/s3/<bucket>/<key>`; undefined for a URI that is not
   * `s3://bucket/key`. A key whose `..` segments would lead outside the output folder is refused (a
   * modeled InvalidInputException), never written.
   */
  fileFor(uri: string): string | undefined {
    const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
    if (!match) return undefined;
    const root = path.join(this.outDir, 's3');
    const file = path.join(root, match[1], ...match[2].split('/'));
    if (!isInside(root, file) || path.relative(root, file).split(path.sep)[0] !== match[1])
      throw new ServiceError(
        'InvalidInputException',
        `The local stand-in refuses to write ${uri}: it would land at ${file}, outside its output folder ` +
          `${root}${path.sep}${match[1]}`,
      );
    return file;
  }

  write(uri: string, content: string): void {
    const file = this.fileFor(uri);
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    this.filesWritten.push(file);
  }
}
