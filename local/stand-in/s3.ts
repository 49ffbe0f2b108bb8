/**
 * S3, as far as the local run needs it: objects put by the local run itself (the Map's result files) and
 * read back with GetObject by Summarize Run's S3 client.
 */
import type { LocalS3Folder } from './local-files';
import type { RestService } from './server';
import { ServiceError } from './service-error';

export class S3StandIn implements RestService {
  /** Objects by `bucket/key`. */
  private readonly objects = new Map<string, string>();

  constructor(private readonly files: LocalS3Folder) {}

  /** An object, as S3 would store it; also written under the local S3 folder for people to look at. */
  putObject(bucket: string, key: string, content: string): void {
    this.objects.set(`${bucket}/${key}`, content);
    this.files.write(`s3://${bucket}/${key}`, content);
  }

  operation(method: string | undefined): string {
    return method === 'GET' ? 'GetObject' : `${method} (S3)`;
  }

  /** GetObject only. */
  answer(operation: string, bucket: string, key: string): string {
    if (operation !== 'GetObject') {
      throw new ServiceError('NotImplemented', `The stand-in implements only GetObject of S3`, 501);
    }
    const object = this.objects.get(`${bucket}/${key}`);
    if (object === undefined) {
      throw new ServiceError('NoSuchKey', 'The specified key does not exist.', 404);
    }
    return object;
  }
}
