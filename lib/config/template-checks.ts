import * as path from 'node:path';
import type { TemplateParameter, VendorTemplate } from '../artifacts/vendor.js';
import { LAMBDA_PARAMETERS, SHARED_PARAMETERS } from '../facts/taegis.js';
import type { Problem } from '../util/errors.js';
import { stagingBucketName } from './derived.js';
import type { MigrationConfig } from './load.js';

/**
 * Checks the config against what the vendor templates allow (`AllowedValues`, `AllowedPattern`) for every value the app
 * sets. The templates are the truth: no list of integration types or Taegis regions is hard-coded here.
 * Returns every problem, each with its JSON path in the config and the fix.
 */
export function checkConfigAgainstTemplates(
  config: MigrationConfig,
  templates: { readonly shared?: VendorTemplate; readonly lambda?: VendorTemplate },
): Problem[] {
  const problems: Problem[] = [];
  const check = (t: VendorTemplate | undefined, parameter: string, value: string | undefined, at: string): void => {
    if (value === undefined || t === undefined) return;
    const problem = parameterProblem(t, parameter, t.parameters[parameter], value, at);
    if (problem) problems.push(problem);
  };

  check(
    templates.shared,
    SHARED_PARAMETERS.taegisRegion,
    config.taegisRegion,
    config.xdrLoginUrl !== undefined ? 'xdrLoginUrl' : 'taegisRegion',
  );

  config.regions.forEach((r, i) => {
    check(
      templates.lambda,
      LAMBDA_PARAMETERS.stagingBucketName,
      stagingBucketName(r),
      `regions[${i}].stagingBucketName`,
    );
    r.lambdaStacks.forEach((s, j) => {
      const at = `regions[${i}].lambdaStacks[${j}]`;
      check(templates.lambda, LAMBDA_PARAMETERS.integrationType, s.integrationType, `${at}.integrationType`);
      check(templates.lambda, LAMBDA_PARAMETERS.notificationBucket, s.notificationBucket, `${at}.notificationBucket`);
      check(templates.lambda, LAMBDA_PARAMETERS.snsNotificationArn, s.snsNotificationArn, `${at}.snsNotificationArn`);
      check(
        templates.lambda,
        LAMBDA_PARAMETERS.notificationBucketKmsArn,
        s.notificationBucketKmsArn,
        `${at}.notificationBucketKmsArn`,
      );
      check(templates.lambda, LAMBDA_PARAMETERS.lambdaEnvKmsArn, s.lambdaEnvKmsArn, `${at}.lambdaEnvKmsArn`);
    });
  });
  return problems;
}

export function parameterProblem(
  t: VendorTemplate,
  name: string,
  p: TemplateParameter | undefined,
  value: string,
  at: string,
): Problem | undefined {
  if (!p) return undefined;
  const file = path.basename(t.file);
  if (Array.isArray(p.AllowedValues) && p.AllowedValues.length > 0) {
    const allowed = p.AllowedValues.map(String);
    if (!allowed.includes(value)) {
      return {
        path: at,
        message: `"${value}" is not allowed by ${file} (parameter ${name} allows: ${allowed.join(', ')})`,
        fix: `use one of ${allowed.map((a) => `"${a}"`).join(', ')}`,
      };
    }
  }
  if (typeof p.AllowedPattern === 'string') {
    let re: RegExp | undefined;
    try {
      re = new RegExp(`^(?:${p.AllowedPattern})$`);
    } catch {
      re = undefined; // a pattern JavaScript cannot read is CloudFormation's to enforce at deploy time
    }
    if (re && !re.test(value)) {
      return {
        path: at,
        message: `"${value}" does not match ${file}'s AllowedPattern for ${name} (${p.AllowedPattern})`,
        fix: 'correct the value to the form the template requires',
      };
    }
  }
  return undefined;
}
