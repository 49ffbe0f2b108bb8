/**
 * Values of the exports known only at deployment (CDK tokens: a bucket, role or key the app creates) in
 * their three forms: a stand-in of the contract for the synth-time check (valid, distinct per value, never
 * compared with the stack's environment), the token for the grants, and a placeholder of the export catalog,
 * filled from the functions' environment at run time.
 */
import { Token } from 'aws-cdk-lib';
import { catalogPlaceholder, type CatalogPlaceholder } from '../../contract/catalog';
import type { ExportSpec } from '../../contract/exports';
import { parseS3Uri, placeInBucket } from '../../contract/s3-uri';
import { deployTimeStandIn, type DeployTimeKind } from '../../contract/workflow';

interface DeployTimeValue {
  /** The token, or the value itself when it is a default the environment names whatever it is. */
  value?: string;
  readonly placeholder: CatalogPlaceholder;
}

export class DeployTimeValues {
  private readonly byStandIn = new Map<string, DeployTimeValue>();
  private readonly byValue = new Map<string, string>();
  private readonly counts = new Map<DeployTimeKind, number>();
  /** What each stand-in is, as a user knows it (`bucket Consumer/Exports`), for the problems' text. */
  private readonly labels = new Map<string, string>();

  /**
   * `value` itself when known at synth; otherwise its stand-in (the same for the same token).
   * @param label what the value is, as a user knows it (`bucket Consumer/Exports`), for the problems' text
   */
  public standIn(value: string, kind: DeployTimeKind, partition?: string, label?: string): string {
    if (!Token.isUnresolved(value)) return value;
    const standIn = this.register(value, kind, partition);
    if (label && !this.labels.has(standIn)) this.labels.set(standIn, label);
    return standIn;
  }

  /** `text` with each stand-in in it replaced by what it stands for (`<bucket Consumer/Exports>`). */
  public describe(text: string): string {
    let described = text;
    for (const [standIn, label] of this.labels) described = described.split(standIn).join(`<${label}>`);
    return described;
  }

  /**
   * A value that stands under a placeholder of its own whatever it is (the deployment's default bucket and
   * role, which exports given in an execution's input use too), or is not made yet (`value` undefined: the
   * role this construct creates once the check has passed; {@link bind} gives it).
   */
  public named(
    value: string | undefined,
    kind: DeployTimeKind,
    placeholder: CatalogPlaceholder,
    partition?: string,
  ): string {
    if (value !== undefined && !Token.isUnresolved(value)) {
      this.byStandIn.set(value, { value, placeholder });
      return value;
    }
    return this.register(value, kind, partition, placeholder);
  }

  /** Gives a stand-in registered without a value its token. */
  public bind(standIn: string, value: string): void {
    const entry = this.byStandIn.get(standIn);
    if (!entry) throw new Error(`ml-exports: ${standIn} is no stand-in of this workflow`);
    entry.value = value;
    this.byValue.set(value, standIn);
  }

  /** The spec as deployed: its tokens in place of the stand-ins (for grants and environment variables). */
  public toTokens<T extends ExportSpec | string>(spec: T): T {
    return this.map(spec, (standIn) => {
      const value = this.byStandIn.get(standIn)?.value;
      if (value === undefined) throw new Error(`ml-exports: no value for ${standIn}`);
      return value;
    });
  }

  /** The spec as the export catalog holds it: placeholders in place of the stand-ins of unresolved values. */
  public toCatalog<T extends ExportSpec | string>(spec: T): T {
    return this.map(spec, (standIn) => {
      const entry = this.byStandIn.get(standIn)!;
      return entry.value !== undefined && !Token.isUnresolved(entry.value)
        ? entry.value
        : entry.placeholder.text;
    });
  }

  /** The environment variables that fill the placeholders used in `catalogText`, and the named defaults. */
  public environment(catalogText: string): Record<string, string> {
    const environment: Record<string, string> = {};
    for (const [standIn, { value, placeholder }] of this.byStandIn) {
      if (value === undefined) throw new Error(`ml-exports: no value for ${standIn}`);
      const named = !placeholder.text.startsWith('{{ml-exports:value-');
      if (named || catalogText.includes(placeholder.text)) environment[placeholder.env] = value;
    }
    return environment;
  }

  private register(
    value: string | undefined,
    kind: DeployTimeKind,
    partition?: string,
    placeholder?: CatalogPlaceholder,
  ): string {
    const known = value !== undefined ? this.byValue.get(value) : undefined;
    if (known) return known;
    const n = this.counts.get(kind) ?? 0;
    this.counts.set(kind, n + 1);
    const standIn = deployTimeStandIn(kind, n, partition);
    this.byStandIn.set(standIn, {
      value,
      placeholder: placeholder ?? catalogPlaceholder(`value-${this.byStandIn.size + 1}`),
    });
    if (value !== undefined) this.byValue.set(value, standIn);
    return standIn;
  }

  /** Each field that is a stand-in, or an S3 URI in a stand-in bucket, mapped. */
  private map<T extends ExportSpec | string>(spec: T, to: (standIn: string) => string): T {
    const one = (field: unknown): unknown => {
      if (typeof field !== 'string') return field;
      if (this.byStandIn.has(field)) return to(field);
      const location = parseS3Uri(field);
      return location && this.byStandIn.has(location.bucket)
        ? placeInBucket(to(location.bucket), location.key)
        : field;
    };
    if (typeof spec === 'string') return one(spec) as T;
    return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, one(v)])) as T;
  }
}
