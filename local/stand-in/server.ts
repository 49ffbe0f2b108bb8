/**
 * The HTTP side of the stand-in, on 127.0.0.1: awsJson 1.1 requests dispatched by their X-Amz-Target, and
 * S3's REST (path-style) for requests without one. It applies injected faults, answers modeled errors as
 * each protocol does, records every call, dates its answers with the simulated clock, and reports how many
 * requests are in flight so that the clock does not move while one is being answered.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessGuard } from './access-guard';
import { faultError, type Faults } from './faults';
import { ServiceError } from './service-error';

/** An awsJson operation: takes the request's JSON, returns the answer's (or its promise) or throws a ServiceError. */
export type JsonOperation = (input: Record<string, unknown>) => unknown;

/** A service spoken in REST, path-style (S3: `/<bucket>/<key>`). */
export interface RestService {
  /** The operation a request of this HTTP method makes, for fault rules and the call record. */
  operation(method: string | undefined): string;
  /** The answer's body, or a thrown ServiceError. */
  answer(operation: string, bucket: string, key: string): string;
}

export interface CallRecord {
  readonly operation: string;
  readonly at: string;
  readonly error?: string;
}

export interface AwsHttpServerOptions {
  /** awsJson operations by X-Amz-Target (`AWSGlue.GetMLTaskRun`, ...). */
  readonly operations: ReadonlyMap<string, JsonOperation>;
  /** What answers requests without an X-Amz-Target. */
  readonly rest: RestService;
  readonly faults: Faults;
  /** Whether AWS would let the caller make each call; without it, every call is answered. */
  readonly access?: AccessGuard;
  /** Called after each awsJson call is handled, before it is answered. */
  readonly afterJsonCall?: () => void;
  /** Called on every request start and end, with the number of requests in flight. */
  readonly onActivity?: (inFlight: number) => void;
}

export class AwsHttpServer {
  /** Every call answered, in order, with the modeled error it got, if any. */
  readonly calls: CallRecord[] = [];
  private server?: http.Server;
  private inFlight = 0;

  constructor(private readonly options: AwsHttpServerOptions) {}

  /** Listens on a free port of 127.0.0.1 only; returns the endpoint URL. */
  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    this.options.onActivity?.(this.inFlight);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target) return this.handleRest(req, res);
    const operation = target.split('.').pop() ?? '';
    let status = 200;
    let body: unknown;
    try {
      const text = await readBody(req);
      const input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      // AWS authorizes a call before the service handles it.
      const denied = await this.options.access?.jsonCall(req.headers.authorization, target, input);
      if (denied) throw denied;
      const fault = this.options.faults.take(operation);
      if (fault && !fault.afterEffect) throw faultError(fault);
      const handler = this.options.operations.get(target);
      if (!handler)
        throw new ServiceError('UnknownOperationException', `The stand-in does not implement ${target}`);
      body = await handler(input);
      if (fault) throw faultError(fault);
      this.calls.push({ operation, at: new Date().toISOString() });
    } catch (err) {
      const e =
        err instanceof ServiceError ? err : new ServiceError('InternalServiceException', String(err), 500);
      this.calls.push({ operation, at: new Date().toISOString(), error: e.type });
      status = e.status;
      body = { __type: e.type, Message: e.message, message: e.message };
    }
    this.options.afterJsonCall?.();
    res.writeHead(status, {
      ...serverDate(),
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': this.requestId(),
    });
    res.end(JSON.stringify(body), () => this.ended());
  }

  /** REST, path-style (the SDK's choice for an IP endpoint); errors in S3's XML. Counted in flight by handle. */
  private async handleRest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const operation = this.options.rest.operation(req.method);
    const [, bucket = '', ...keyParts] = decodeURIComponent(
      new URL(req.url ?? '/', 'http://x').pathname,
    ).split('/');
    const key = keyParts.join('/');
    let status = 200;
    let body: string;
    let contentType = 'application/octet-stream';
    try {
      const denied = await this.options.access?.s3Call(req.headers.authorization, operation, bucket, key);
      if (denied) throw denied;
      const fault = this.options.faults.take(operation);
      if (fault) throw faultError(fault);
      body = this.options.rest.answer(operation, bucket, key);
      this.calls.push({ operation, at: new Date().toISOString() });
    } catch (err) {
      const e = err instanceof ServiceError ? err : new ServiceError('InternalError', String(err), 500);
      this.calls.push({ operation, at: new Date().toISOString(), error: e.type });
      status = e.status;
      contentType = 'application/xml';
      body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.type}</Code><Message>${e.message}</Message><Key>${key}</Key></Error>`;
    }
    res.writeHead(status, {
      ...serverDate(),
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      'x-amz-request-id': this.requestId(),
    });
    res.end(body, () => this.ended());
  }

  private requestId(): string {
    return createHash('md5').update(String(this.calls.length)).digest('hex');
  }

  private ended(): void {
    this.inFlight--;
    this.options.onActivity?.(this.inFlight);
  }
}

/**
 * The server's clock, as AWS sends it: the simulated time. Node's own Date header is cached on a timer the
 * simulated clock never fires, so it would fall behind, and the SDK, seeing its clock hours off, would
 * correct the skew and retry every first error of a client.
 */
function serverDate(): { date: string } {
  return { date: new Date().toUTCString() };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
