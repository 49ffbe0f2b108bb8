/**
 * Who is calling: each Lambda function of a local run signs its requests with credentials of its own, as
 * Lambda gives each function its execution role's temporary credentials, and the stand-in reads the
 * access key id from the SigV4 `Authorization` header (`Credential=<key id>/<date>/<region>/<service>/...`)
 * to know which role's session made the request. Signatures are not verified: only the key id is read.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash } from 'node:crypto';
import type { Authorizer, Caller } from './authorizer';

export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** A session of a role, as AWS names its principal: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
export function roleSession(roleArn: string, sessionName: string, label: string): Caller {
  const [, , , , account, resource] = roleArn.split(':');
  const roleName = resource.split('/').pop();
  return { principal: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`, roleArn, label };
}

/** A service principal acting on its own (CloudWatch publishing an alarm, EventBridge invoking a target). */
export function servicePrincipal(service: string, label: string): Caller {
  return { principal: service, label };
}

/** Who holds a key: the caller, and the authorizer of the deployment whose role it is a session of. */
export interface KeyHolder {
  readonly caller: Caller;
  /** @default the stand-in's own (the run's deployment) */
  readonly authorizer?: Authorizer;
}

/** The credentials handed out in a run, by access key id. */
export class CallerCredentials {
  private readonly holders = new Map<string, KeyHolder>();

  /**
   * Temporary credentials (`ASIA...` key ids, as STS issues) for a caller; the same ones each time. A
   * caller of another deployment (the clean-up of another configuration) comes with its own authorizer.
   */
  issue(caller: Caller, authorizer?: Authorizer): IssuedCredentials {
    const digest = createHash('sha256')
      .update(`${caller.principal} ${authorizer?.id ?? ''}`)
      .digest('hex')
      .toUpperCase();
    const accessKeyId = `ASIA${digest
      .replace(/[^A-Z2-7]/g, '')
      .padEnd(16, 'X')
      .slice(0, 16)}`;
    this.holders.set(accessKeyId, { caller, ...(authorizer ? { authorizer } : {}) });
    return {
      accessKeyId,
      secretAccessKey: digest.slice(0, 40),
      sessionToken: `local-${digest.slice(0, 32)}`,
    };
  }

  /** Who signed a request, from its `Authorization` header; undefined for a key nobody issued. */
  holderOf(authorization: string | undefined): KeyHolder | undefined {
    const accessKeyId = /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
    return accessKeyId ? this.holders.get(accessKeyId) : undefined;
  }
}
