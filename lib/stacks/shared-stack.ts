import { Stack, type StackProps } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { writePlainSubs } from './plain-subs.js';
import type { Construct } from 'constructs';
import type { VendorTemplate } from '../artifacts/vendor.js';
import { SHARED_PARAMETERS } from '../facts/taegis.js';

/** Construct id of the included vendor template in the shared and Lambda stacks. */
export const VENDOR_TEMPLATE_ID = 'Vendor';

export interface SharedStackProps extends StackProps {
  /**
   * Whether CloudFormation refuses to delete the stack until protection is turned off.
   * @default true
   */
  readonly terminationProtection?: boolean;
  /** The vendor's shared-resources template (parsed once per synth). */
  readonly template: VendorTemplate;
  /** Taegis region (`ctpx`, `delta`, ...), baked into the template as `TaegisRegion`. */
  readonly taegisRegion: string;
  /**
   * What the template's `SecretValue` becomes: a CloudFormation dynamic reference to the Secrets Manager secret
   * holding credentials.txt (`{{resolve:secretsmanager:...}}`), never the value itself.
   * @default - `SecretValue` stays a NoEcho parameter supplied at deploy time
   */
  readonly secretValue?: string;
}

/**
 * The vendor's shared-resources template, logical IDs preserved. `TaegisRegion` is baked in; `SecretValue` stays a
 * NoEcho parameter supplied at deploy time, or a dynamic reference to a Secrets Manager secret (`secretValue`), so the
 * credentials never appear in the synthesized template.
 */
export class SharedStack extends Stack {
  public readonly include: CfnInclude;

  constructor(scope: Construct, id: string, props: SharedStackProps) {
    super(scope, id, { ...props, terminationProtection: props.terminationProtection ?? true });
    const parameters = {
      [SHARED_PARAMETERS.taegisRegion]: props.taegisRegion,
      ...(props.secretValue !== undefined ? { [SHARED_PARAMETERS.secretValue]: props.secretValue } : {}),
    };
    this.include = new CfnInclude(this, VENDOR_TEMPLATE_ID, {
      templateFile: props.template.file,
      preserveLogicalIds: true,
      parameters,
    });
    writePlainSubs(this.include, props.template.template, parameters);
  }
}
