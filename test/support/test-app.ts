import { Stack, type App } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import type { TaegisConfig } from '../../lib/config/load.js';

/**
 * A stand-in for the real app's Lambda stacks (issue 2), enough for plan: construct id
 * `TaegisLambda-<region>-<stackName>`, CloudFormation stackName = the existing stack's name, env = the
 * configured account/region, the lambda template included with its parameters baked, the default synthesizer
 * (so BootstrapVersion and its rule are in the template, as in the real app).
 */
export function synthTestApp(
  app: App,
  config: TaegisConfig,
  templateFile: string,
  regions: readonly string[] = [],
): string {
  for (const r of config.regions) {
    if (regions.length > 0 && !regions.includes(r.region)) continue;
    for (const s of r.lambdaStacks) {
      const stack = new Stack(app, `TaegisLambda-${r.region}-${s.stackName}`, {
        stackName: s.stackName,
        env: { account: r.account, region: r.region },
      });
      new CfnInclude(stack, 'Lambda', {
        templateFile,
        parameters: {
          IntegrationType: s.integrationType,
          NotificationBucket: s.notificationBucket,
          SNSNotificationarn: s.snsNotificationArn ?? '',
          NotificationBucketCustomerManagedKMSarn: s.notificationBucketKmsArn ?? '',
          LambdaEnvKMSarn: s.lambdaEnvKmsArn ?? '',
          TaegisLambdaS3BucketName: `taegis-staging-${r.region}`,
        },
      });
    }
  }
  return app.synth().directory;
}
