import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import type { Construct } from 'constructs';
import type { LambdaVendorTemplate } from '../artifacts/vendor.js';
import { LAMBDA_PARAMETERS } from '../facts/taegis.js';
import type { LambdaRuntime, LambdaStackConfig } from '../config/schema.js';
import type { ResolvedFailedEvents } from '../config/failed-events.js';
import { FailedEventsDestination } from './failed-events.js';
import { FUNCTION_ARN_OUTPUT, MIGRATION_MARKER_KEY, migrationMarker } from './marker.js';
import { writePlainSubs } from './plain-subs.js';
import { VENDOR_TEMPLATE_ID } from './shared-stack.js';

export interface LambdaStackProps extends StackProps {
  /** The vendor's Lambda template (parsed once per synth). */
  readonly template: LambdaVendorTemplate;
  /** The existing stack's entry in the config. */
  readonly lambdaStack: LambdaStackConfig;
  /** The region's staging bucket, where the new package lies. */
  readonly stagingBucketName: string;
  /**
   * Runtime of the function. `provided.al2023` overrides the template's `Runtime`.
   * @default "provided.al2" (the template's own runtime is kept)
   */
  readonly runtime?: LambdaRuntime;
  /**
   * Keep the events the function failed on in a queue (its on-failure destination); see lib/stacks/failed-events.ts.
   * @default - no destination
   */
  readonly failedEvents?: ResolvedFailedEvents;
}

/**
 * An existing, console-made Taegis Lambda stack, updated in place with the vendor's new Lambda template: the stack
 * name is the existing one and the template's logical IDs are preserved, so CloudFormation updates the function rather
 * than replacing it.
 */
export class LambdaStack extends Stack {
  public readonly include: CfnInclude;
  /** The failed-event queue and the function's on-failure destination, when the config keeps failed events. */
  public readonly failedEvents?: FailedEventsDestination;

  constructor(scope: Construct, id: string, props: LambdaStackProps) {
    super(scope, id, props);
    const parameters = lambdaParameterValues(props.template, props.lambdaStack, props.stagingBucketName);
    this.include = new CfnInclude(this, VENDOR_TEMPLATE_ID, {
      templateFile: props.template.file,
      preserveLogicalIds: true,
      parameters,
    });
    writePlainSubs(this.include, props.template.template, parameters);
    // Read back by discover once the parameters are baked in; Metadata changes no resource (see marker.ts).
    this.templateOptions.metadata = {
      ...this.templateOptions.metadata,
      [MIGRATION_MARKER_KEY]: migrationMarker(props.lambdaStack),
    };
    const fn = this.include.getResource(props.template.functionLogicalId);
    if (props.runtime === 'provided.al2023') fn.addPropertyOverride('Runtime', 'provided.al2023');
    if (props.failedEvents !== undefined) {
      this.failedEvents = new FailedEventsDestination(this, 'FailedEvents', {
        fn,
        include: this.include,
        stackName: props.lambdaStack.stackName,
        settings: props.failedEvents,
      });
    }
    // verify reads the function from DescribeStacks, which it calls anyway, instead of a DescribeStackResources per
    // stack. An output changes no resource and no logical ID, whatever the vendor template exports itself.
    new CfnOutput(this, FUNCTION_ARN_OUTPUT, {
      value: fn.getAtt('Arn').toString(),
      description: 'The Taegis function this stack runs (read by taegis-migrate verify)',
    });
  }
}

/**
 * Every parameter the app sets, baked into the template. An optional value left out of the config gets the template's
 * default, not "whatever the stack had": with `--previous-parameters` (the CLI's default) a parameter that stayed
 * declared would silently keep its old value.
 */
export function lambdaParameterValues(
  template: LambdaVendorTemplate,
  s: LambdaStackConfig,
  stagingBucketName: string,
): Record<string, string> {
  const orDefault = (name: string, value: string | undefined): string => {
    if (value !== undefined) return value;
    const d = template.parameters[name]?.Default;
    return typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean' ? String(d) : '';
  };
  return {
    [LAMBDA_PARAMETERS.integrationType]: s.integrationType,
    [LAMBDA_PARAMETERS.notificationBucket]: s.notificationBucket,
    [LAMBDA_PARAMETERS.snsNotificationArn]: orDefault(LAMBDA_PARAMETERS.snsNotificationArn, s.snsNotificationArn),
    [LAMBDA_PARAMETERS.notificationBucketKmsArn]: orDefault(
      LAMBDA_PARAMETERS.notificationBucketKmsArn,
      s.notificationBucketKmsArn,
    ),
    [LAMBDA_PARAMETERS.lambdaEnvKmsArn]: orDefault(LAMBDA_PARAMETERS.lambdaEnvKmsArn, s.lambdaEnvKmsArn),
    [LAMBDA_PARAMETERS.stagingBucketName]: stagingBucketName,
  };
}
